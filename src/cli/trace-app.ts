// What the page's main thread does, from Chromium's trace, on the built app: wall time and the
// thread's own CPU time of each task, and what the longest tasks are made of. Wall time on a busy
// machine measures the machine; thread CPU time measures the page. It prints figures; it asserts nothing.
//
//   npx tsx src/cli/trace-app.ts [--scenario stream|start|reload] [--runs 3] [--dist DIR] [--no-build] [--top 5] [--plain] [--profile]
//
// stream: a 20,000-byte generation with colour by expert on (--plain: off), traced from the click to
// the last byte; --profile adds the JS profile's self time by function.
// start: a first visit (fresh profile), traced from navigation until the model is ready and the
// page has been idle a second; the tasks after the first contentful paint are what Lighthouse's
// total blocking time counts (4 × each task's length, less 50 ms, on its default mobile settings).
// reload: a warm reload (the service worker has the shell, IndexedDB the weights), traced the same way.
// TRACE_DETAIL=1 also prints each style, layout, paint and layerize event over 2 ms with its arguments.
import type { Browser, BrowserContext, CDPSession, Page } from '@playwright/test';
import { numberFlag, parseArgs, stringFlag } from './args';
import { runScript, withBuiltApp } from './built-app';

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8.execute', 'loading', 'blink.user_timing'];

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tts?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string; functionName?: string; type?: string } };
}

/** A top-level task of the main thread: its times (ms) and its self time by event name. */
interface Task {
  startMs: number; // from the trace's first event on the thread
  wallMs: number;
  cpuMs: number;
  parts: Map<string, { wall: number; cpu: number }>;
  postedFrom: string; // where Chromium posted the task from, when the trace says
  ts: number; // the trace's clock, µs
}

const TOP_LEVEL = new Set(['RunTask', 'ThreadControllerImpl::RunTask']);
const SCRIPT = new Set(['FunctionCall', 'RunMicrotasks', 'EvaluateScript', 'FireAnimationFrame', 'TimerFire', 'EventDispatch', 'v8.callFunction', 'V8.Execute']);

/** The page's main thread: the renderer main thread that ran the most script. */
function mainThread(events: TraceEvent[]): { pid: number; tid: number } {
  const names = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  let best = { pid: 0, tid: 0 };
  let most = -1;
  for (const t of names) {
    const busy = events.filter((e) => e.pid === t.pid && e.tid === t.tid && e.ph === 'X' && (e.name === 'FunctionCall' || e.name === 'EvaluateScript')).reduce((s, e) => s + (e.dur ?? 0), 0);
    if (busy > most) [best, most] = [{ pid: t.pid, tid: t.tid }, busy];
  }
  return best;
}

/** The thread's top-level tasks, each with the self time of what ran inside it, by name. */
export function tasksOf(events: TraceEvent[], thread: { pid: number; tid: number }): { tasks: Task[]; origin: number } {
  const mine = events.filter((e) => e.pid === thread.pid && e.tid === thread.tid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const origin = mine[0]?.ts ?? 0;
  const tasks: Task[] = [];
  let stack: { e: TraceEvent; childWall: number; childCpu: number; label: string }[] = [];
  let task: Task | undefined;
  const close = (upTo: number) => {
    while (stack.length > 0 && stack.at(-1)!.e.ts + stack.at(-1)!.e.dur! <= upTo) {
      const top = stack.pop()!;
      const part = task!.parts.get(top.label) ?? { wall: 0, cpu: 0 };
      part.wall += (top.e.dur! - top.childWall) / 1000;
      part.cpu += ((top.e.tdur ?? 0) - top.childCpu) / 1000;
      task!.parts.set(top.label, part);
      const parent = stack.at(-1);
      if (parent) [parent.childWall, parent.childCpu] = [parent.childWall + top.e.dur!, parent.childCpu + (top.e.tdur ?? 0)];
    }
  };
  for (const e of mine) {
    close(e.ts);
    if (stack.length === 0) {
      if (!TOP_LEVEL.has(e.name)) continue;
      const from = (e.args as { src_func?: string; src_file?: string } | undefined) ?? {};
      task = { startMs: (e.ts - origin) / 1000, wallMs: e.dur! / 1000, cpuMs: (e.tdur ?? 0) / 1000, parts: new Map(), postedFrom: from.src_func ? `${from.src_file?.split('/').pop()} ${from.src_func}` : '', ts: e.ts };
      tasks.push(task);
      stack = [];
    }
    const fn = e.args?.data?.functionName;
    // Style and layout asked for by script (a read after a write) are forced: said apart.
    const inScript = stack.some((s) => SCRIPT.has(s.e.name));
    const forced = inScript && (e.name === 'Layout' || e.name === 'UpdateLayoutTree') ? ' (forced by script)' : '';
    const label = e.name === 'FunctionCall' && fn ? `FunctionCall ${fn}` : e.name === 'EventDispatch' ? `EventDispatch ${e.args?.data?.type}` : e.name + forced;
    if (process.env.TRACE_DETAIL && (e.name === 'Layout' || e.name === 'UpdateLayoutTree' || e.name === 'Layerize' || e.name === 'Paint') && e.dur! > 2000) console.log(`    ${((e.ts - origin) / 1000).toFixed(0)} ${label} ${(e.dur! / 1000).toFixed(1)} ${JSON.stringify(e.args).slice(0, 300)}`);
    stack.push({ e, childWall: 0, childCpu: 0, label });
  }
  close(Infinity);
  return { tasks, origin };
}

const fmt = (x: number) => x.toFixed(1).padStart(7);

function describe(task: Task): string {
  const parts = [...task.parts].filter(([, p]) => p.wall >= 0.5).sort((a, b) => b[1].wall - a[1].wall);
  return [`  at ${task.startMs.toFixed(0)} ms: wall ${fmt(task.wallMs)} ms, thread CPU ${fmt(task.cpuMs)} ms ${task.postedFrom}`, ...parts.slice(0, 12).map(([name, p]) => `      ${fmt(p.wall)} wall ${fmt(p.cpu)} cpu  ${name}`)].join('\n');
}

/** Finds an element through shadow roots, in the page (a string: it runs there). */
const find = `function deepFind(root, sel) {
  const hit = root.querySelector(sel);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { const inner = deepFind(el.shadowRoot, sel); if (inner) return inner; }
  return null;
}`;

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Each sample's time (trace clock, µs), its function and the chain of callers, innermost first. */
function samplesOf(profile: Profile): { ts: number; ms: number; stack: string[] }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
  const name = (n: ProfileNode) => {
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    return `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}:${columnNumber + 1}`;
  };
  const out: { ts: number; ms: number; stack: string[] }[] = [];
  let ts = profile.startTime;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    ts += deltas[i] ?? 0;
    const stack: string[] = [];
    for (let n: ProfileNode | undefined = byId.get(samples[i]); n && n.callFrame.functionName !== '(root)'; n = n.parent === undefined ? undefined : byId.get(n.parent)) stack.push(name(n));
    out.push({ ts, ms: (deltas[i + 1] ?? 0) / 1000, stack });
  }
  return out.filter((x) => !x.stack[0]?.startsWith('(idle)') && !x.stack[0]?.startsWith('(program)'));
}

/** Self time by function (ms), and by the outermost frame of the app's own scripts, the top `n`. */
function printSamples(title: string, samples: { ms: number; stack: string[] }[], n: number, indent = '  '): void {
  const self = new Map<string, number>();
  for (const x of samples) self.set(x.stack[0], (self.get(x.stack[0]) ?? 0) + x.ms);
  console.log(`${indent}${title}`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${indent}  ${fmt(ms)}  ${k}`);
  const outer = new Map<string, number>();
  for (const x of samples) {
    const key = x.stack.slice(-3).reverse().join(' > ');
    outer.set(key, (outer.get(key) ?? 0) + x.ms);
  }
  for (const [k, ms] of [...outer].sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(n / 2))) console.log(`${indent}  ${fmt(ms)}  from ${k}`);
}

/** One coloured 20,000-byte generation, traced from the click to the last byte. */
async function traceStream(browser: Browser, url: string, profile: boolean, colored: boolean, profiles: Profile[]): Promise<Buffer> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('soma-app p.status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
  await page.evaluate(`(async () => {
    const find = ${find};
    if (${colored}) find(document, 'soma-write-panel').shadowRoot.querySelector('input[type=checkbox]').click();
    const length = find(document, '#length');
    length.value = '20000';
    length.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    await new Promise((r) => setTimeout(r, 200));
  })()`);
  const cdp = profile ? await startProfiler(context, page) : undefined;
  await browser.startTracing(page, { categories: CATEGORIES });
  await page.evaluate(`(${find})(document, '#generate').click()`);
  await page.locator('soma-app p.status').filter({ hasText: 'Generated' }).waitFor({ timeout: 120_000 });
  const trace = await browser.stopTracing();
  if (cdp) profiles.push((await cdp.send('Profiler.stop')).profile as Profile);
  await context.close();
  return trace;
}

/** A CDP session with the JS sampling profiler started on the page (every 200 µs). */
async function startProfiler(context: BrowserContext, page: Page): Promise<CDPSession> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** A first visit (or, warm, a reload after one), traced from navigation until the model is ready and a second has passed. */
async function traceStart(browser: Browser, url: string, profile: boolean, profiles: Profile[], warm = false): Promise<Buffer> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  if (warm) {
    await page.goto(url);
    await page.getByText('ready to work offline').waitFor({ timeout: 120_000 });
  }
  const cdp = profile ? await startProfiler(context, page) : undefined;
  await browser.startTracing(page, { categories: CATEGORIES });
  if (warm) await page.reload();
  else await page.goto(url);
  await page.locator('soma-app p.status').filter({ hasText: 'Ready' }).waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1500);
  const trace = await browser.stopTracing();
  if (cdp) profiles.push((await cdp.send('Profiler.stop')).profile as Profile);
  await context.close();
  return trace;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), { values: ['scenario', 'runs', 'dist', 'top'], booleans: ['no-build', 'profile', 'plain'] });
  const scenario = stringFlag(args, 'scenario') ?? 'stream';
  if (scenario !== 'stream' && scenario !== 'start' && scenario !== 'reload') throw new Error('--scenario is stream, start or reload');
  const runs = numberFlag(args, 'runs', 3, 1, 20, true);
  const top = numberFlag(args, 'top', 5, 0, 100, true);
  await withBuiltApp(!args.flags.has('no-build'), async (url, browser) => {
    for (let run = 1; run <= runs; run++) {
      const profiles: Profile[] = [];
      const raw =
        scenario === 'stream'
          ? await traceStream(browser, url, args.flags.has('profile'), !args.flags.has('plain'), profiles)
          : await traceStart(browser, url, args.flags.has('profile'), profiles, scenario === 'reload');
      const events = (JSON.parse(raw.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
      const thread = mainThread(events);
      const { tasks, origin } = tasksOf(events, thread);
      let window = tasks;
      if (scenario !== 'stream') {
        const fcp = events.find((e) => e.name === 'firstContentfulPaint' && e.pid === thread.pid);
        const fcpMs = fcp ? (fcp.ts - origin) / 1000 : 0;
        console.log(`run ${run}: first contentful paint at ${fcpMs.toFixed(0)} ms`);
        window = tasks.filter((t) => t.startMs >= fcpMs);
      }
      const long = window.filter((t) => t.wallMs > 50);
      const blocking = (k: 'wallMs' | 'cpuMs') => window.reduce((s, t) => s + Math.max(0, 4 * t[k] - 50), 0);
      const sum = (k: 'wallMs' | 'cpuMs') => window.reduce((s, t) => s + t[k], 0);
      console.log(
        `run ${run}: ${window.length} tasks, ${sum('wallMs').toFixed(0)} ms wall, ${sum('cpuMs').toFixed(0)} ms thread CPU; longest wall ${Math.max(0, ...window.map((t) => t.wallMs)).toFixed(1)} ms, longest CPU ${Math.max(0, ...window.map((t) => t.cpuMs)).toFixed(1)} ms; ${long.length} over 50 ms wall; 4× blocking on wall ${blocking('wallMs').toFixed(0)} ms, on CPU ${blocking('cpuMs').toFixed(0)} ms`,
      );
      const samples = profiles[0] ? samplesOf(profiles[0]) : [];
      if (samples.length > 0) printSamples('JS profile of the whole run, self time (ms):', samples, 20);
      for (const t of [...window].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, top)) {
        console.log(describe(t));
        const inside = samples.filter((x) => x.ts >= t.ts && x.ts <= t.ts + t.wallMs * 1000);
        if (inside.length > 0) printSamples('its JS, self time (ms):', inside, 8, '      ');
      }
    }
  }, stringFlag(args, 'dist'));
}

runScript(main);
