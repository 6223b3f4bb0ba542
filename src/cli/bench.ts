// `soma bench`: engine speed in Node and in headless Chromium (through the real worker), against
// a native C build of the same step, plus the engine's memory after 1,000 and 100,000 bytes, and a
// profile of the WASM step by part (where its time goes). In Chromium it also scores 50 KB of
// English through the worker.
// With --trainer, also the trainer's forward throughput (its shards in worker threads, one per
// core) against the native C batched step on as many cores. It prints figures; it asserts nothing.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DECODER_INPUTS, LAYER2_RECURRENCES, type Layer2Recurrence } from '../model/config';
import { initWeights } from '../model/init';
import type { SomaFile } from '../model/format';
import type { Backend } from '../model/kernels';
import type { GenerateRequest } from '../engine/protocol';
import type { Session } from '../engine/session';
import type { StepProfile } from '../engine/wasm-step';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { launchChromium } from './browser';
import { buildNative } from './native-kernels';
import { DEFAULT_WEIGHTS, loadWeights, openSession } from './node-engine';
import { ROOT } from './paths';
import { TRAIN_DEFAULTS } from '../train/settings';
import { type ShardHandle, makeShard, threadShard } from './train-shards';

/** Greedy decoding: the benchmark measures the engine, not the sampler's sort. */
const GREEDY: GenerateRequest = { temperature: 0, topK: 0, topP: 1, repeatPenalty: 1, repeatWindow: 0, seed: 1, length: 1 };

function timeGenerate(session: Session, n: number): { tokS: number; bytes: number[] } {
  session.reset();
  const bytes: number[] = [];
  const t0 = performance.now();
  for (const ev of session.generate(new Uint8Array(), { ...GREEDY, length: n })) bytes.push(ev.byte);
  return { tokS: (n * 1000) / (performance.now() - t0), bytes };
}

async function nodeTokS(file: SomaFile, backend: Backend, n: number) {
  const s = await openSession(file, backend);
  timeGenerate(s, Math.min(n, 500)); // warm up the JIT
  return timeGenerate(s, n);
}

/** Engine memory (its heap) and the process's live JS + ArrayBuffer bytes after a full GC. */
async function memory(file: SomaFile) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const live = () => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const s = await openSession(file, 'wasm-simd');
  const gen = s.generate(new Uint8Array(), { ...GREEDY, length: 100_000 });
  const at: Record<number, { engine: number; process: number }> = {};
  let n = 0;
  for (const _ of gen) {
    n++;
    if (n === 1_000 || n === 100_000) at[n] = { engine: s.memoryBytes(), process: live() };
  }
  return at;
}

/** The WASM step's time by part, µs per byte, over n greedy bytes fed back (the profiled step gives the same bytes). */
async function stepProfile(file: SomaFile, n: number): Promise<StepProfile> {
  const s = await openSession(file, 'wasm-simd');
  const run = (bytes: number) => {
    const p: StepProfile = { bytes: 0, router: 0, gates1: 0, cells1: 0, gates2: 0, cells2: 0, decoder: 0 };
    s.reset();
    let b = file.config.bos;
    for (let i = 0; i < bytes; i++) {
      s.feedByteProfiled(b, p);
      const l = s.logits;
      b = 0;
      for (let j = 1; j < 256; j++) if (l[j] > l[b]) b = j;
    }
    return p;
  };
  run(Math.min(n, 500)); // warm up
  return run(n);
}

/** Scoring in the browser: this many bytes of English (the test fixture, repeated) through the worker. */
const SCORE_BYTES = 50_000;

async function browserTokS(weights: Uint8Array, n: number): Promise<Record<Backend, number> & { scoreMs: number }> {
  const { createServer } = await import('vite');
  const server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'silent', server: { port: 0, strictPort: false } });
  await server.listen();
  const url = server.resolvedUrls!.local[0];
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // A blank page of the dev server's origin, and the weights under test, without the app itself.
    await page.route(`${url}__bench`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
    await page.route(`${url}__bench.bin`, (r) => r.fulfill({ contentType: 'application/octet-stream', body: Buffer.from(weights) }));
    await page.route(`${url}__bench.txt`, (r) => r.fulfill({ contentType: 'application/octet-stream', body: Buffer.from(englishBytes(SCORE_BYTES)) }));
    await page.goto(`${url}__bench`);
    const out: Record<string, number> = {};
    out.scoreMs = await page.evaluate(`(async () => {
      const { EngineClient } = await import('/src/engine/client.ts');
      const client = new EngineClient();
      await client.load(await (await fetch('__bench.bin')).arrayBuffer(), 'wasm-simd');
      const text = new Uint8Array(await (await fetch('__bench.txt')).arrayBuffer());
      const t0 = performance.now();
      const it = client.score(text);
      let r;
      do r = await it.next(); while (!r.done);
      const ms = performance.now() - t0;
      client.terminate();
      return ms;
    })()`);
    for (const backend of ['wasm-simd', 'js'] as Backend[]) {
      const len = backend === 'js' ? Math.ceil(n / 4) : n;
      // A string, not a function: the page must not see the helpers tsx adds to compiled functions.
      out[backend] = await page.evaluate(`(async () => {
        const { EngineClient } = await import('/src/engine/client.ts');
        const client = new EngineClient();
        await client.load(await (await fetch('__bench.bin')).arrayBuffer(), ${JSON.stringify(backend)});
        const run = async (length) => {
          const t0 = performance.now();
          for await (const _ of client.generate(new Uint8Array(), { ...${JSON.stringify(GREEDY)}, length, continue: false }));
          return (length * 1000) / (performance.now() - t0);
        };
        await run(${Math.min(len, 500)});
        const tokS = await run(${len});
        client.terminate();
        return tokS;
      })()`);
    }
    return out as Record<Backend, number> & { scoreMs: number };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** bench/native/step.c, built when missing or older than its sources. */
function nativeBinary(): string {
  const src = join(ROOT, 'bench/native/step.c');
  const dir = join(ROOT, 'bench/native/build');
  const bin = join(dir, 'step');
  const stale = [src, join(ROOT, 'bench/native/batched.h'), join(ROOT, 'src/cli/native/model-math.h')].some((f) => statSync(f).mtimeMs > (existsSync(bin) ? statSync(bin).mtimeMs : 0));
  if (stale) {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O3', '-march=native', '-ffast-math', '-o', bin, src, '-lm'], { stdio: 'inherit' });
  }
  return bin;
}

/** The native program's arguments up to N: the weights (as a raw file in the temp folder) and the config. */
function nativeArgs(file: SomaFile): string[] {
  const c = file.config;
  if (c.layer2Recurrence !== 'full') throw new Error(`bench/native/step.c computes a layer 2 with the full recurrence; this model's is '${c.layer2Recurrence}'`);
  const raw = join(tmpdir(), `soma-bench-${process.pid}.raw`);
  writeFileSync(raw, new Uint8Array(file.weights.buffer, file.weights.byteOffset, file.weights.byteLength));
  return [raw, c.embed, c.routerHidden, c.experts, c.expertHidden, c.mlpHidden, DECODER_INPUTS.indexOf(c.decoderInput), c.bos].map(String);
}

function nativeTokS(file: SomaFile, n: number): { tokS: number; firstBytes: number[] } {
  const bin = nativeBinary();
  const out = execFileSync(bin, [...nativeArgs(file), String(n)], { encoding: 'utf8' });
  const r = JSON.parse(out);
  return { tokS: r.tok_s, firstBytes: r.first_bytes };
}

/** Seconds each side of the trainer comparison runs for, roughly. */
const TRAINER_SECONDS = 5;

/**
 * The native C batched step (step.c with B streams): `procs` processes at once, one per core,
 * each sized for about TRAINER_SECONDS; their stream-bytes per second, summed.
 */
async function nativeBatchTokS(file: SomaFile, batch: number, procs: number): Promise<number> {
  const bin = nativeBinary();
  const args = nativeArgs(file);
  const run = async (steps: number) => JSON.parse((await promisify(execFile)(bin, [...args, String(steps), String(batch)], { encoding: 'utf8' })).stdout).tok_s as number;
  const probe = await run(300); // one process alone, to size the timed runs
  const steps = Math.max(300, Math.ceil((TRAINER_SECONDS * probe) / batch));
  const each = await Promise.all(Array.from({ length: procs }, () => run(steps)));
  return each.reduce((a, b) => a + b, 0);
}

/** A deterministic English text of `bytes` bytes: the test fixture, repeated. */
function englishBytes(bytes: number): Uint8Array {
  const piece = readFileSync(join(ROOT, 'tests/fixtures/sotu-excerpt.txt'));
  const text = new Uint8Array(bytes);
  for (let at = 0; at < text.length; at += piece.length) text.set(piece.subarray(0, Math.min(piece.length, text.length - at)), at);
  return text;
}

/** The trainer's text: 256 KiB of English. */
const trainerText = () => englishBytes(256 * 1024);

/**
 * The trainer's forward throughput: `threads` shards, each in its own worker thread with the
 * trainer's batch and window, step in lockstep through 'experts' evaluate() calls (a ± pair of
 * passes each), as `soma train --threads N` does. Forward tokens/s = 2 · B · T · shards · calls / s.
 */
async function trainerTokS(file: SomaFile, threads: number): Promise<{ tokS: number; kernels: 'native' | 'wasm'; batch: number; window: number }> {
  let kernels: 'native' | 'wasm' = 'native';
  try {
    buildNative(); // here, once, rather than in every worker at the same time
  } catch {
    kernels = 'wasm';
  }
  const { batch, window, eps } = TRAIN_DEFAULTS;
  const text = trainerText();
  const shards: ShardHandle[] = Array.from({ length: threads }, (_, i) => threadShard({ config: file.config, theta: file.weights, text, batch, window, seed: 1000 + i, kernels }));
  try {
    let seed = 1;
    const round = async () => {
      const t0 = performance.now();
      const s = seed++;
      await Promise.all(shards.map((sh) => sh.evaluate(s, 'experts', eps)));
      return (performance.now() - t0) / 1000;
    };
    await round(); // warm-up: two calls, the second also sizes the timed run
    const calls = Math.max(3, Math.ceil(TRAINER_SECONDS / (await round())));
    const t0 = performance.now();
    for (let k = 0; k < calls; k++) await round();
    const secs = (performance.now() - t0) / 1000;
    return { tokS: (2 * batch * window * threads * calls) / secs, kernels, batch, window };
  } finally {
    await Promise.all(shards.map((sh) => sh.close()));
  }
}

/**
 * Where one cycle of `soma train` spends its time, at the trainer's defaults: CPU milliseconds per
 * call of each kind of step on one in-thread shard (median of 5 calls), times the calls a cycle
 * makes. CPU time, so that a busy machine moves it less than wall time.
 */
async function trainerCycleProfile(file: SomaFile, l2Units: number): Promise<{ name: string; ms: number; calls: number }[]> {
  const { batch, window, eps, rowRounds, unitRounds } = TRAIN_DEFAULTS;
  const shard = await makeShard({ config: file.config, theta: file.weights, text: trainerText(), batch, window, seed: 1, l2Units });
  const K = file.config.experts;
  let seed = 1;
  const cpuMs = (f: () => void) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  const median = (f: () => number) => {
    f(); // warm-up
    const t = Array.from({ length: 5 }, f).sort((a, b) => a - b);
    return t[2];
  };
  const stale = () => shard.apply(seed, 'experts', new Float64Array(K), 0); // moves nothing, but the cached features no longer count
  const trunk = median(() => cpuMs(() => shard.evaluate(seed++, 'experts', eps)));
  const row = median(() => cpuMs(() => shard.evaluate(seed++, 'rows', eps)));
  const unit = median(() => cpuMs(() => shard.evaluate(seed++, 'units', eps)));
  const readAndRow = median(() => (stale(), cpuMs(() => shard.evaluate(seed++, 'rows', eps))));
  // Layer-2 unit steps exist for a layer 2 with the element-wise recurrence; shown at one round per cycle.
  const layer2 = file.config.layer2Recurrence === 'unit' ? [{ name: `layer-2 unit steps (${l2Units} units per expert, cached layer-1 outputs)`, ms: median(() => cpuMs(() => shard.evaluate(seed++, 'l2units', eps))), calls: 1 }] : [];
  return [
    { name: 'trunk step (a ± pair of full passes)', ms: trunk, calls: 1 },
    { name: 'reading a window into the cache (one pass)', ms: Math.max(0, readAndRow - row), calls: 1 },
    { name: 'row steps (cached features)', ms: row, calls: rowRounds },
    { name: 'unit steps (cached features)', ms: unit, calls: unitRounds },
    ...layer2,
  ];
}

/** Logs where a training cycle's time goes; returns a cycle's CPU ms. */
async function logCycle(file: SomaFile, log: (s: string) => void, l2Units = TRAIN_DEFAULTS.l2Units): Promise<number> {
  const cycle = await trainerCycleProfile(file, l2Units);
  const cycleMs = cycle.reduce((sum, p) => sum + p.ms * p.calls, 0);
  log(`where a training cycle's time goes (one shard, CPU ms per call × calls per cycle, the trainer's defaults):`);
  for (const p of cycle) log(`  ${p.name.padEnd(62)} ${p.ms.toFixed(1).padStart(6)} × ${p.calls}  ${((100 * p.ms * p.calls) / cycleMs).toFixed(0).padStart(3)}%`);
  log(`  ${'a cycle'.padEnd(62)} ${cycleMs.toFixed(0).padStart(6)} ms: ${((2 * TRAIN_DEFAULTS.batch * TRAIN_DEFAULTS.window * 1000) / cycleMs).toFixed(0)} training bytes per CPU-second`);
  return cycleMs;
}

/** `--cycle`: the cycle profile alone (no engines), for any model, a layer 2 with the element-wise recurrence included. */
async function cycleOnly(file: SomaFile, l2Units: number): Promise<void> {
  console.log(`soma bench --cycle: ${file.config.experts} experts, H ${file.config.expertHidden}, layer 2 '${file.config.layer2Recurrence}', decoder input ${file.config.decoderInput}`);
  await logCycle(file, console.log, l2Units);
}

/** A fresh seeded model of the default weights' config with the given layer-2 recurrence: a cycle's cost does not depend on the values. */
async function withRecurrence(recurrence: string): Promise<SomaFile> {
  if (!LAYER2_RECURRENCES.includes(recurrence as Layer2Recurrence)) throw new UsageError(`--layer2-recurrence must be one of ${LAYER2_RECURRENCES.join(', ')}`);
  const base = await loadWeights(DEFAULT_WEIGHTS);
  const config = { ...base.config, layer2Recurrence: recurrence as Layer2Recurrence };
  return { ...base, config, weights: initWeights(config, 1) };
}

const tokS = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} tok/s` : 'skipped');
const ratio = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) ? `${(x / y).toFixed(2)}x` : 'skipped');

const PART_NAMES: Record<Exclude<keyof StepProfile, 'bytes'>, string> = {
  router: 'embedding, router LSTM and head, argmax',
  gates1: "every expert's layer-1 matrix products",
  cells1: "every expert's layer-1 cells (f64x2) and LN1",
  gates2: "every expert's layer-2 matrix products",
  cells2: "every expert's layer-2 cells (f64x2)",
  decoder: "the winner's decoder (LN2, GELU MLP, logits)",
};

export async function bench(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['bytes', 'weights', 'trainer-threads', 'layer2-recurrence', 'l2-units'], booleans: ['json', 'no-browser', 'trainer', 'cycle'] });
  if (a.positionals.length) throw new UsageError('bench takes no positional arguments');
  const l2Units = numberFlag(a, 'l2-units', TRAIN_DEFAULTS.l2Units, 1, 1e9, true);
  if (a.flags.has('cycle')) return cycleOnly(a.flags.has('layer2-recurrence') ? await withRecurrence(stringFlag(a, 'layer2-recurrence')!) : await loadWeights(stringFlag(a, 'weights') ?? DEFAULT_WEIGHTS), l2Units);
  if (a.flags.has('layer2-recurrence') || a.flags.has('l2-units')) throw new UsageError('--layer2-recurrence and --l2-units go with --cycle');
  const n = numberFlag(a, 'bytes', 20_000, 1_000, 10_000_000, true);
  const trainerThreads = numberFlag(a, 'trainer-threads', 2, 1, 64, true);
  if (a.flags.has('trainer-threads') && !a.flags.has('trainer')) throw new UsageError('--trainer-threads goes with --trainer');
  const weightsPath = stringFlag(a, 'weights') ?? DEFAULT_WEIGHTS;
  const file = await loadWeights(weightsPath);
  const json = a.flags.has('json');
  const log = (s: string) => !json && console.log(s);

  log(`soma bench: ${weightsPath}, ${n} greedy bytes per engine (the JS engines run a quarter of that)`);
  const native = nativeTokS(file, n);
  log(`native C (gcc -O3 -march=native -ffast-math): ${native.tokS.toFixed(0)} tok/s`);
  const nodeWasm = await nodeTokS(file, 'wasm-simd', n);
  log(`node wasm-simd: ${nodeWasm.tokS.toFixed(0)} tok/s`);
  const nodeJs = await nodeTokS(file, 'js', Math.ceil(n / 4));
  log(`node js:        ${nodeJs.tokS.toFixed(0)} tok/s`);
  const agree = native.firstBytes.every((b, i) => b === nodeWasm.bytes[i]);
  log(`native and wasm agree on the first ${native.firstBytes.length} greedy bytes: ${agree ? 'yes' : 'no'}`);
  const skipped = a.flags.has('no-browser');
  const browser = skipped ? { 'wasm-simd': NaN, js: NaN, scoreMs: NaN } : await browserTokS(readFileSync(weightsPath), n);
  log(`chromium wasm-simd (worker): ${tokS(browser['wasm-simd'])}`);
  log(`chromium js (worker):        ${tokS(browser.js)}`);
  log(`chromium wasm-simd, scoring ${SCORE_BYTES.toLocaleString('en-US')} bytes of English (worker): ${skipped ? 'skipped' : `${(browser.scoreMs / 1000).toFixed(2)} s`}   (target ≤ 5 s)`);
  const mem = await memory(file);
  log(`engine memory after 1,000 bytes: ${mem[1_000].engine} B; after 100,000: ${mem[100_000].engine} B`);
  log(`process live heap after GC: ${mem[1_000].process} B after 1,000; ${mem[100_000].process} B after 100,000`);
  log('ratios:');
  log(`  chromium wasm / native: ${ratio(browser['wasm-simd'], native.tokS)}   (target ≥ 0.6x)`);
  log(`  node wasm / native:     ${ratio(nodeWasm.tokS, native.tokS)}`);
  log(`  chromium wasm / js:     ${ratio(browser['wasm-simd'], browser.js)}   (target ≥ 8x)`);
  log(`  node wasm / js:         ${ratio(nodeWasm.tokS, nodeJs.tokS)}`);
  const prof = await stepProfile(file, n);
  const parts = ['router', 'gates1', 'cells1', 'gates2', 'cells2', 'decoder'] as const;
  const total = parts.reduce((t, k) => t + prof[k], 0);
  log(`where the WASM step's time goes (node, ${prof.bytes} greedy bytes, each part timed; µs per byte):`);
  for (const k of parts) log(`  ${PART_NAMES[k].padEnd(52)} ${((1000 * prof[k]) / prof.bytes).toFixed(2).padStart(7)}  ${((100 * prof[k]) / total).toFixed(0).padStart(3)}%`);
  log(`  ${'whole step (the parts timed apart)'.padEnd(52)} ${((1000 * total) / prof.bytes).toFixed(2).padStart(7)}   native C: ${(1e6 / native.tokS).toFixed(2)}`);
  let trainer: Record<string, number | string> = {};
  if (a.flags.has('trainer')) {
    const T = trainerThreads;
    log(`trainer throughput: ${T} shard(s), one worker thread each, 'experts' evaluate() calls (± pass pairs)`);
    const t = await trainerTokS(file, T);
    log(`  trainer (${t.kernels} kernels, B=${t.batch} T=${t.window} per shard): ${t.tokS.toFixed(0)} forward tok/s`);
    const nat = await nativeBatchTokS(file, t.batch, T);
    log(`  native C batched step (${T} process(es), B=${t.batch} each):     ${nat.toFixed(0)} tok/s`);
    log(`  trainer / native: ${(t.tokS / nat).toFixed(2)}x   (target ≥ 0.5x)`);
    const cycleMs = await logCycle(file, log);
    trainer = { trainer_tok_s: t.tokS, native_batch_tok_s: nat, trainer_threads: T, trainer_kernels: t.kernels, trainer_cycle_cpu_ms: cycleMs };
  }
  rmSync(join(tmpdir(), `soma-bench-${process.pid}.raw`), { force: true });
  if (json)
    console.log(
      JSON.stringify({
        node_wasm_tok_s: nodeWasm.tokS,
        node_js_tok_s: nodeJs.tokS,
        browser_wasm_tok_s: browser['wasm-simd'],
        browser_js_tok_s: browser.js,
        browser_score_50kb_ms: browser.scoreMs,
        profile_us_per_byte: Object.fromEntries(parts.map((k) => [k, (1000 * prof[k]) / prof.bytes])),
        native_tok_s: native.tokS,
        mem_1k_bytes: mem[1_000].engine,
        mem_100k_bytes: mem[100_000].engine,
        process_mem_1k_bytes: mem[1_000].process,
        process_mem_100k_bytes: mem[100_000].process,
        native_agrees: agree,
        bytes: n,
        ...trainer,
      }),
    );
}
