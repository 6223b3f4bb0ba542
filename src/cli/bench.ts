// `soma bench`: engine speed in Node and in headless Chromium (through the real worker), against
// a native C build of the same step, plus the engine's memory after 1,000 and 100,000 bytes.
// It prints figures; it asserts nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SomaFile } from '../model/format';
import type { Backend } from '../model/kernels';
import type { GenerateRequest, Session } from '../engine/session';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { launchChromium } from './browser';
import { DEFAULT_WEIGHTS, ROOT, loadWeights, openSession } from './node-engine';

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

async function browserTokS(weights: Uint8Array, n: number): Promise<Record<Backend, number>> {
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
    await page.goto(`${url}__bench`);
    const out: Record<string, number> = {};
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
    return out as Record<Backend, number>;
  } finally {
    await browser.close();
    await server.close();
  }
}

function nativeTokS(file: SomaFile, n: number): { tokS: number; firstBytes: number[] } {
  const src = join(ROOT, 'bench/native/step.c');
  const dir = join(ROOT, 'bench/native/build');
  const bin = join(dir, 'step');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dir, { recursive: true });
    execFileSync('gcc', ['-O3', '-march=native', '-ffast-math', '-o', bin, src, '-lm'], { stdio: 'inherit' });
  }
  const raw = join(tmpdir(), `soma-bench-${process.pid}.raw`);
  writeFileSync(raw, new Uint8Array(file.weights.buffer, file.weights.byteOffset, file.weights.byteLength));
  const c = file.config;
  const out = execFileSync(bin, [raw, c.embed, c.routerHidden, c.experts, c.expertHidden, c.mlpHidden, c.bos, n].map(String), { encoding: 'utf8' });
  const r = JSON.parse(out);
  return { tokS: r.tok_s, firstBytes: r.first_bytes };
}

export async function bench(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['bytes', 'weights'], booleans: ['json', 'no-browser'] });
  if (a.positionals.length) throw new UsageError('bench takes no positional arguments');
  const n = numberFlag(a, 'bytes', 20_000, 1_000, 10_000_000, true);
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
  const browser = a.flags.has('no-browser') ? { 'wasm-simd': NaN, js: NaN } : await browserTokS(readFileSync(weightsPath), n);
  log(`chromium wasm-simd (worker): ${browser['wasm-simd'].toFixed(0)} tok/s`);
  log(`chromium js (worker):        ${browser.js.toFixed(0)} tok/s`);
  const mem = await memory(file);
  log(`engine memory after 1,000 bytes: ${mem[1_000].engine} B; after 100,000: ${mem[100_000].engine} B`);
  log(`process live heap after GC: ${mem[1_000].process} B after 1,000; ${mem[100_000].process} B after 100,000`);
  log('ratios:');
  log(`  chromium wasm / native: ${(browser['wasm-simd'] / native.tokS).toFixed(2)}x   (target ≥ 0.5x)`);
  log(`  node wasm / native:     ${(nodeWasm.tokS / native.tokS).toFixed(2)}x`);
  log(`  chromium wasm / js:     ${(browser['wasm-simd'] / browser.js).toFixed(2)}x   (target ≥ 5x)`);
  log(`  node wasm / js:         ${(nodeWasm.tokS / nodeJs.tokS).toFixed(2)}x   (target ≥ 5x)`);
  if (json)
    console.log(
      JSON.stringify({
        node_wasm_tok_s: nodeWasm.tokS,
        node_js_tok_s: nodeJs.tokS,
        browser_wasm_tok_s: browser['wasm-simd'],
        browser_js_tok_s: browser.js,
        native_tok_s: native.tokS,
        mem_1k_bytes: mem[1_000].engine,
        mem_100k_bytes: mem[100_000].engine,
        process_mem_1k_bytes: mem[1_000].process,
        process_mem_100k_bytes: mem[100_000].process,
        native_agrees: agree,
        bytes: n,
      }),
    );
}
