// The Engine interface's behaviour, run the same against LocalEngine (the engine in this thread, as
// the page opened from file:// and the command line use it) and against EngineClient talking to
// serve(new LocalEngine) over a MessageChannel (as the page talks to its worker).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kernelsWasm, openSession } from '../../src/cli/node-engine';
import { EngineClient } from '../../src/engine/client';
import { LocalEngine, type LocalEngineOptions, pickBackend } from '../../src/engine/local-engine';
import { type ByteChunk, type Engine, type GenerateOptions, TOP_BYTES } from '../../src/engine/protocol';
import { serve } from '../../src/engine/serve';
import { DEFAULT_CONFIG, paramCount } from '../../src/model/config';
import { readSoma } from '../../src/model/format';
import { encodeUtf8 } from '../../src/model/utf8';
import { ENGLISH, somaBytes } from '../helpers';

let weights: Uint8Array;
beforeAll(async () => {
  weights = await somaBytes();
});

const bufferOf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

const options = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({ length: 600, temperature: 0.8, topK: 40, topP: 0.95, repeatPenalty: 1.05, repeatWindow: 64, seed: 3, continue: false, ...o });

const LONG = 200_000; // ten seconds of work or more: a stop that is ignored fails the test, not its timeout

interface Subject {
  engine: Engine;
  kernelLoads: () => number;
  close: () => void;
}

const opened: Subject[] = [];
afterEach(() => opened.splice(0).forEach((s) => s.close()));

function localEngine(o: Partial<LocalEngineOptions> = {}) {
  let loads = 0;
  const engine = new LocalEngine({ kernels: () => (loads++, kernelsWasm()), ...o });
  return { engine, kernelLoads: () => loads };
}

const subjects: [string, () => Subject][] = [
  ['LocalEngine', () => ({ ...localEngine(), close: () => {} })],
  [
    'EngineClient over serve(LocalEngine)',
    () => {
      const { engine, kernelLoads } = localEngine();
      const channel = new MessageChannel();
      serve(engine, channel.port1);
      const client = new EngineClient(channel.port2);
      return { engine: client, kernelLoads, close: () => (client.terminate(), channel.port1.close()) };
    },
  ],
];

/** Reads a stream to its end: what it yielded, and what it returned. */
async function collect<Y, R>(stream: AsyncGenerator<Y, R>): Promise<{ values: Y[]; done: R }> {
  const values: Y[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return { values, done: next.value };
    values.push(next.value);
  }
}

const bytesOf = (chunks: ByteChunk[]) => Uint8Array.from(chunks.flatMap((c) => [...c.bytes]));

describe.each(subjects)('%s', (_name, make) => {
  const open = () => {
    const s = make();
    opened.push(s);
    return s;
  };
  const loaded = async (backend: 'auto' | 'js' | 'wasm-simd' = 'auto') => {
    const s = open();
    await s.engine.load(bufferOf(weights), backend);
    return s.engine;
  };
  /** A long generation, running: its first chunk is out. */
  const running = async (engine: Engine, signal?: AbortSignal) => {
    const stream = engine.generate(encodeUtf8('The '), options({ length: LONG }), { signal });
    const first = await stream.next();
    expect(first.done).toBe(false);
    return stream;
  };

  describe('load', () => {
    it("says what the model is, on WASM SIMD when asked for 'auto'", async () => {
      const s = open();
      const loaded = await s.engine.load(bufferOf(weights), 'auto');
      expect(loaded.info.params).toBe(paramCount(DEFAULT_CONFIG)); // somaBytes() makes a model of the default config
      expect(loaded.info.backend).toBe('wasm-simd'); // Node has WebAssembly SIMD
      expect(loaded.info.fileBytes).toBe(weights.length);
      expect(loaded.memoryBytes).toBeGreaterThan(paramCount(DEFAULT_CONFIG) * 4); // the weights, at least
      expect(s.kernelLoads()).toBe(1);
    });

    it("honours 'js' without loading the WASM kernels", async () => {
      const s = open();
      expect((await s.engine.load(bufferOf(weights), 'js')).info.backend).toBe('js');
      expect(s.kernelLoads()).toBe(0);
    });

    it("refuses a bad soma.bin with an error starting 'soma.bin:', and has no model after it", async () => {
      const s = open();
      const corrupt = weights.slice();
      corrupt[corrupt.length - 1] ^= 0xff; // one payload byte: the checksum no longer matches
      await expect(s.engine.load(bufferOf(corrupt))).rejects.toThrow(/^soma\.bin: /);
      await expect(s.engine.load(bufferOf(encodeUtf8('not a model at all')))).rejects.toThrow(/^soma\.bin: /);
      await expect(s.engine.generate(new Uint8Array(0), options()).next()).rejects.toThrow(/no model loaded/);
    });
  });

  describe('generate', () => {
    it('streams chunks that sum to length, the same bytes as a Session, and returns the stats', async () => {
      const engine = await loaded();
      const opts = options({ length: 600 });
      const { values, done } = await collect(engine.generate(encodeUtf8('The '), opts));
      for (const c of values) expect([c.experts.length, c.probs.length, c.entropyBits.length]).toEqual([c.bytes.length, c.bytes.length, c.bytes.length]);
      expect(values.at(-1)!.stats.generated).toBe(600);
      expect([done.reason, done.generated, done.contextBytes]).toEqual(['length', 600, 4 + 600]);
      const session = await openSession(await readSoma(weights), 'wasm-simd');
      expect(bytesOf(values)).toEqual(Uint8Array.from(session.generate(encodeUtf8('The '), opts), (ev) => ev.byte));
    });

    it('refuses bad options before writing anything', async () => {
      const engine = await loaded();
      await expect(engine.generate(new Uint8Array(0), options({ topP: 0 })).next()).rejects.toThrow(/^topP must be/);
      for (const length of [0, -3, NaN]) await expect(engine.generate(new Uint8Array(0), options({ length })).next()).rejects.toThrow(/^length must be/);
    });

    it('stops within a chunk on stop(), with reason stopped and the bytes it sent', async () => {
      const engine = await loaded();
      const stream = await running(engine);
      engine.stop();
      const { values, done } = await collect(stream);
      expect(values.length).toBeLessThanOrEqual(2); // the chunk under way (and, over a port, one in flight)
      expect(done.reason).toBe('stopped');
      expect(done.generated).toBeLessThan(LONG);
    });

    it('stops when its signal aborts', async () => {
      const engine = await loaded();
      const abort = new AbortController();
      const stream = await running(engine, abort.signal);
      abort.abort();
      const { values, done } = await collect(stream);
      expect(values.length).toBeLessThanOrEqual(2);
      expect(done.reason).toBe('stopped');
    });

    it('a stop with nothing running does not cancel the next generation', async () => {
      const engine = await loaded();
      engine.stop();
      engine.pause();
      const { done } = await collect(engine.generate(new Uint8Array(0), options({ length: 300 })));
      expect([done.reason, done.generated]).toEqual(['length', 300]);
    });

    it('reads a long prompt in slices with progress, and writes what a Session writes from the whole prompt', async () => {
      const prompt = encodeUtf8('The state of the union is strong, and the people are its strength. '.repeat(100)); // about 7 KB
      const engine = await loaded('wasm-simd');
      const reading: number[] = [];
      const { values } = await collect(engine.generate(prompt, options({ length: 200 }), { onReading: (read, total) => (expect(total).toBe(prompt.length), reading.push(read)) }));
      expect(reading.length).toBeGreaterThan(0);
      expect(reading).toEqual([...reading].sort((a, b) => a - b));
      const session = await openSession(await readSoma(weights), 'wasm-simd');
      expect(bytesOf(values)).toEqual(Uint8Array.from(session.generate(prompt, options({ length: 200 })), (ev) => ev.byte));
    });

    it('stops while it reads a long prompt', async () => {
      const engine = await loaded('wasm-simd');
      let stopped = false;
      const stream = engine.generate(encodeUtf8('x'.repeat(400_000)), options({ length: 10 }), { onReading: () => (stopped ||= (engine.stop(), true)) });
      const { values, done } = await collect(stream);
      expect([values.length, done.reason, stopped]).toEqual([0, 'stopped', true]);
    });
  });

  describe('one stream at a time', () => {
    it('refuses a second action while a generation runs, with a clear message, and the first runs on', async () => {
      const engine = await loaded();
      const stream = await running(engine);
      const busy = /^engine error: busy: stop or pause first$/;
      await expect(engine.generate(new Uint8Array(0), options()).next()).rejects.toThrow(busy);
      await expect(engine.score(ENGLISH.subarray(0, 100)).next()).rejects.toThrow(busy);
      await expect(engine.teach(ENGLISH.subarray(0, 3000)).next()).rejects.toThrow(busy);
      await expect(engine.useWeights('use-original')).rejects.toThrow(busy);
      await expect(engine.load(bufferOf(weights))).rejects.toThrow(busy);
      await expect(engine.reset()).rejects.toThrow(/cannot reset while generating/);
      expect((await stream.next()).done).toBe(false); // still writing
      engine.stop();
      expect((await collect(stream)).done.reason).toBe('stopped');
      await engine.reset();
      expect((await collect(engine.generate(new Uint8Array(0), options({ length: 20 })))).done.generated).toBe(20);
    });
  });

  describe('score', () => {
    it("streams per-byte surprisal that totals the Session's score(), with top bytes, router scores and the experts' view", async () => {
      const text = ENGLISH.subarray(0, 6000);
      const engine = await loaded();
      const { values: chunks, done } = await collect(engine.score(text));
      expect(chunks.length).toBeGreaterThan(1); // chunked, so a large text never blocks the engine long
      expect(chunks.map((c) => c.start)).toEqual(chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.bytes.length, 0)));
      expect([chunks.reduce((s, c) => s + c.bytes.length, 0), done.bytes, done.reason]).toEqual([text.length, text.length, 'length']);
      const expected = (await openSession(await readSoma(weights), 'wasm-simd')).score(text);
      expect(done.nats).toBe(expected);
      expect(done.natsPerChar).toBe(expected / done.chars);
      const bitsSum = chunks.reduce((s, c) => s + c.bits.reduce((a, b) => a + b, 0), 0);
      expect(Math.abs(bitsSum * Math.LN2 - expected) / expected).toBeLessThan(1e-5);
      const K = 16;
      for (const c of chunks) {
        expect([c.topBytes.length, c.router.length]).toEqual([c.bytes.length * TOP_BYTES, c.bytes.length * K]);
        for (let i = 0; i < c.bytes.length; i++) {
          const p = c.topProbs.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES);
          for (let j = 1; j < TOP_BYTES; j++) expect(p[j]).toBeLessThanOrEqual(p[j - 1]);
          expect(new Set(c.topBytes.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES)).size).toBe(TOP_BYTES);
          const r = c.router.subarray(i * K, (i + 1) * K);
          expect(c.experts[i]).toBe(r.indexOf(Math.max(...r))); // the expert is the router's argmax
          const at = c.topBytes.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES).indexOf(c.bytes[i]);
          if (at >= 0) expect(p[at]).toBeCloseTo(2 ** -c.bits[i], 5);
        }
      }
      expect(done.experts.experts).toHaveLength(K);
      expect(done.experts.experts.reduce((s, e) => s + e.wins, 0)).toBe(text.length);
      expect(done.experts.experts.reduce((s, e) => s + e.share, 0)).toBeCloseTo(1, 9);
    });

    it('refuses an empty text, and stops when asked', async () => {
      const engine = await loaded();
      await expect(engine.score(new Uint8Array(0)).next()).rejects.toThrow(/^nothing to score: the text is empty$/);
      const big = new Uint8Array(400_000).fill(97);
      const stream = engine.score(big);
      expect((await stream.next()).done).toBe(false);
      engine.stop();
      const { done } = await collect(stream);
      expect(done.reason).toBe('stopped');
      expect(done.bytes).toBeLessThan(big.length);
    });
  });

  describe('teach and the tuned copy', () => {
    /** Teaches (or resumes), reading its progress as the page does, and pauses it once it has run about `ms`. */
    const teachFor = async (engine: Engine, text: Uint8Array | null, ms: number) => {
      let started = (): void => {};
      const begun = new Promise<void>((resolve) => (started = resolve));
      const stream = engine.teach(text);
      const read = (async () => {
        for (;;) {
          const next = await stream.next();
          if (next.done) return next.value;
          started();
        }
      })();
      await Promise.race([begun, read]);
      await new Promise((r) => setTimeout(r, ms));
      engine.pause();
      return read;
    };

    it('teaches until paused into a tuned copy, resumes, switches, exports, imports and discards', async () => {
      const engine = await loaded();
      await expect(engine.useWeights('use-tuned')).rejects.toThrow(/no tuned model/);
      await expect(engine.teach(null).next()).rejects.toThrow(/nothing to resume/);
      await expect(engine.teach(encodeUtf8('too short')).next()).rejects.toThrow(/at least 200/);

      const paused = await teachFor(engine, ENGLISH.subarray(0, 3000), 400);
      expect(paused.progress.step).toBeGreaterThan(0);
      expect(paused.weights).toMatchObject({ active: 'original', tuned: { trained: true, steps: paused.progress.step } });
      expect(paused.weights.tuned!.method).toContain('in the browser tab with SPSA');
      const resumed = await teachFor(engine, null, 200);
      expect(resumed.progress.step).toBeGreaterThan(paused.progress.step);

      expect(await engine.useWeights('use-tuned')).toMatchObject({ active: 'tuned', tuned: { steps: resumed.progress.step } });
      const file = await engine.exportTuned();
      expect((await readSoma(file)).provenance.corpus).toBe('user text, 3000 bytes');
      expect(await engine.useWeights('use-original')).toMatchObject({ active: 'original', tuned: { steps: resumed.progress.step } });
      expect(await engine.useWeights('discard-tuned')).toEqual({ active: 'original', tuned: null });
      await expect(engine.exportTuned()).rejects.toThrow(/no tuned model to export/);
      expect(await engine.loadTuned(bufferOf(file))).toMatchObject({ active: 'tuned', tuned: { corpus: 'user text, 3000 bytes' } });
      const other = await somaBytes({ vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' });
      await expect(engine.loadTuned(bufferOf(other))).rejects.toThrow(/another shape/);
    });

    it('writes with the weights in use: the tuned copy otherwise, the original as before', async () => {
      const engine = await loaded();
      // The model's probability of each byte it wrote: any change of weights shows in it.
      const write = async () => Float32Array.from((await collect(engine.generate(encodeUtf8('The '), options({ length: 80, seed: 5 })))).values.flatMap((c) => [...c.probs]));
      const original = await write();
      expect((await teachFor(engine, ENGLISH.subarray(0, 3000), 300)).progress.step).toBeGreaterThan(0);
      await engine.useWeights('use-tuned');
      expect(await write()).not.toEqual(original);
      await engine.useWeights('use-original');
      expect(await write()).toEqual(original);
    });

    it('compares the same prompt and seed under both weights, each from a fresh state, leaving the context as it is', async () => {
      const engine = await loaded();
      const opts = { length: 120, temperature: 0.8, topK: 40, topP: 0.95, repeatPenalty: 1.05, repeatWindow: 64, seed: 9 };
      const prompt = encodeUtf8('The ');
      await expect(engine.compare(prompt, opts)).rejects.toThrow(/no tuned model/);
      await teachFor(engine, ENGLISH.subarray(0, 3000), 300);
      const continued = async (e: Engine, compare: boolean) => {
        await collect(e.generate(prompt, { ...opts, length: 30, continue: false }));
        if (compare) await e.compare(prompt, opts);
        return bytesOf((await collect(e.generate(encodeUtf8(' and'), { ...opts, length: 40, continue: true }))).values);
      };
      expect(await continued(engine, true)).toEqual(await continued(await loaded(), false));
      const a = await engine.compare(prompt, opts);
      expect(await engine.compare(prompt, opts)).toEqual(a); // the same seed, the same bytes
      const fresh = async (file: Uint8Array) => Uint8Array.from((await openSession(await readSoma(file), 'wasm-simd')).generate(prompt, opts), (e) => e.byte);
      expect(a.original).toEqual(await fresh(weights));
      expect(a.tuned).toEqual(await fresh(await engine.exportTuned()));
      await expect(engine.compare(prompt, { ...opts, length: 5000 })).rejects.toThrow(/at most 2000 bytes/);
    });
  });
});

describe('pickBackend', () => {
  it('picks the JS backend without SIMD and WASM SIMD with it', () => {
    expect(pickBackend('auto', false)).toBe('js');
    expect(pickBackend('js', true)).toBe('js');
    expect(pickBackend('auto', true)).toBe('wasm-simd');
    expect(pickBackend('wasm-simd', true)).toBe('wasm-simd');
    expect(() => pickBackend('wasm-simd', false)).toThrow(/no WebAssembly SIMD/);
  });
});
