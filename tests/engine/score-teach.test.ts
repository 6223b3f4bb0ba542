// The engine's 'score' and 'teach' requests, driven directly in Node as the worker runs them.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src/engine/host';
import { TOP_BYTES, type Response } from '../../src/engine/protocol';
import { kernelsWasm, openSession } from '../../src/cli/node-engine';
import { readSoma } from '../../src/model/format';
import { ENGLISH, somaBytes } from '../helpers';
import { encodeUtf8 } from '../../src/model/utf8';

let weights: Uint8Array;
beforeAll(async () => {
  weights = await somaBytes();
});

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const only = <T extends Response['type']>(rs: Response[], type: T) => rs.filter((r): r is Extract<Response, { type: T }> => r.type === type);

async function loaded(backend: 'wasm-simd' | 'js' = 'wasm-simd') {
  const responses: Response[] = [];
  const h = new EngineHost((r) => responses.push(r), () => kernelsWasm());
  await h.handle({ id: 1, type: 'load', weights: toArrayBuffer(weights), backend });
  responses.length = 0;
  return { h, responses };
}

describe("the 'score' request", () => {
  it("streams per-byte surprisal that sums to the Session's score(), with top bytes, router scores and the experts' view", async () => {
    const text = ENGLISH.subarray(0, 6000);
    const t = await loaded();
    await t.h.handle({ id: 2, type: 'score', text });
    const chunks = only(t.responses, 'scored').map((r) => r.chunk);
    const done = only(t.responses, 'score-done')[0].done;
    expect(t.responses.at(-1)?.type).toBe('score-done');
    expect(chunks.length).toBeGreaterThan(1); // chunked, so a large text never blocks the worker long
    expect(chunks.map((c) => c.start)).toEqual(chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.bytes.length, 0)));
    const n = chunks.reduce((s, c) => s + c.bytes.length, 0);
    expect([n, done.bytes, done.reason]).toEqual([text.length, text.length, 'length']);

    const session = await openSession(await readSoma(weights), 'wasm-simd');
    const expected = session.score(text);
    expect(done.nats).toBe(expected);
    const bitsSum = chunks.reduce((s, c) => s + c.bits.reduce((a, b) => a + b, 0), 0);
    expect(Math.abs(bitsSum * Math.LN2 - expected) / expected).toBeLessThan(1e-5);

    const K = 16;
    for (const c of chunks) {
      expect(c.topBytes.length).toBe(c.bytes.length * TOP_BYTES);
      expect(c.router.length).toBe(c.bytes.length * K);
      for (let i = 0; i < c.bytes.length; i++) {
        const p = c.topProbs.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES);
        for (let j = 1; j < TOP_BYTES; j++) expect(p[j]).toBeLessThanOrEqual(p[j - 1]);
        expect(new Set(c.topBytes.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES)).size).toBe(TOP_BYTES);
        // The expert is the router's argmax.
        const r = c.router.subarray(i * K, (i + 1) * K);
        expect(c.experts[i]).toBe(r.indexOf(Math.max(...r)));
        // A byte among the top ones has the probability its surprisal says.
        const at = c.topBytes.subarray(i * TOP_BYTES, (i + 1) * TOP_BYTES).indexOf(c.bytes[i]);
        if (at >= 0) expect(p[at]).toBeCloseTo(2 ** -c.bits[i], 5);
      }
    }
    const view = done.experts;
    expect(view.experts).toHaveLength(K);
    expect(view.experts.reduce((s, e) => s + e.wins, 0)).toBe(text.length);
    expect(view.experts.reduce((s, e) => s + e.share, 0)).toBeCloseTo(1, 9);
    for (const e of view.experts.filter((x) => x.wins > 0)) {
      expect(e.topBytes.length).toBeGreaterThan(0);
      expect(e.contexts.length).toBeGreaterThan(0);
    }
  });

  it('refuses an empty text, and stops when asked', async () => {
    const t = await loaded();
    await t.h.handle({ id: 3, type: 'score', text: new Uint8Array(0) });
    expect(t.responses).toEqual([{ id: 3, type: 'error', message: expect.stringMatching(/empty/) }]);
    t.responses.length = 0;
    const big = new Uint8Array(400_000).fill(97);
    const running = t.h.handle({ id: 4, type: 'score', text: big });
    while (only(t.responses, 'scored').length === 0) await new Promise((r) => setTimeout(r, 1));
    await t.h.handle({ id: 5, type: 'stop' });
    await running;
    const done = only(t.responses, 'score-done')[0].done;
    expect(done.reason).toBe('stopped');
    expect(done.bytes).toBeLessThan(big.length);
  });
});

describe("the 'teach' request and the tuned copy", () => {
  it('teaches until paused, resumes, switches, exports, imports and discards', async () => {
    const t = await loaded();
    await t.h.handle({ id: 2, type: 'weights', action: 'use-tuned' });
    expect(t.responses.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/no tuned model/) });
    await t.h.handle({ id: 3, type: 'teach', text: null });
    expect(t.responses.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/nothing to resume/) });
    t.responses.length = 0;

    const teach = t.h.handle({ id: 4, type: 'teach', text: ENGLISH.subarray(0, 3000) });
    while (only(t.responses, 'progress').length < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 400));
    await t.h.handle({ id: 5, type: 'pause' });
    await teach;
    const paused = only(t.responses, 'paused')[0];
    expect(paused.progress.step).toBeGreaterThan(0);
    expect(paused.weights).toMatchObject({ active: 'original', tuned: { trained: true, steps: paused.progress.step } });
    expect(paused.weights.tuned!.method).toContain('in the browser tab with SPSA');

    t.responses.length = 0;
    const resumed = t.h.handle({ id: 6, type: 'teach', text: null });
    await new Promise((r) => setTimeout(r, 200));
    await t.h.handle({ id: 7, type: 'pause' });
    await resumed;
    expect(only(t.responses, 'paused')[0].progress.step).toBeGreaterThan(paused.progress.step);

    t.responses.length = 0;
    await t.h.handle({ id: 8, type: 'weights', action: 'use-tuned' });
    await t.h.handle({ id: 9, type: 'export-tuned' });
    const file = only(t.responses, 'file')[0].bytes;
    const tuned = await readSoma(file);
    expect(tuned.provenance.corpus).toBe('user text, 3000 bytes');
    expect(t.responses[0]).toMatchObject({ type: 'weights-state', weights: { active: 'tuned' } });

    await t.h.handle({ id: 10, type: 'weights', action: 'discard-tuned' });
    expect(t.responses.at(-1)).toMatchObject({ type: 'weights-state', weights: { active: 'original', tuned: null } });
    await t.h.handle({ id: 11, type: 'load-tuned', weights: toArrayBuffer(file) });
    expect(t.responses.at(-1)).toMatchObject({ type: 'weights-state', weights: { active: 'tuned', tuned: { corpus: 'user text, 3000 bytes' } } });
    await t.h.handle({ id: 12, type: 'load-tuned', weights: toArrayBuffer(await somaBytes({ vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10 })) });
    expect(t.responses.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/another shape/) });
  });
});

describe("the 'compare' request", () => {
  it('writes the same prompt and seed with the original and the tuned weights, beside the page’s own context', async () => {
    const t = await loaded();
    const options = { length: 120, temperature: 0.8, topK: 40, topP: 0.95, repeatPenalty: 1.05, repeatWindow: 64, seed: 9 };
    const prompt = encodeUtf8('The ');
    await t.h.handle({ id: 2, type: 'compare', prompt, options });
    expect(t.responses.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/no tuned model/) });

    const teach = t.h.handle({ id: 3, type: 'teach', text: ENGLISH.subarray(0, 3000) });
    while (only(t.responses, 'progress').length < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 300));
    await t.h.handle({ id: 4, type: 'pause' });
    await teach;

    // Write's context is the same after a compare: a continued generation gives the bytes it gives without one.
    const continued = async (host: typeof t, compare: boolean) => {
      await host.h.handle({ id: 5, type: 'generate', prompt, options: { ...options, length: 30, continue: false } });
      if (compare) await host.h.handle({ id: 6, type: 'compare', prompt, options });
      host.responses.length = 0;
      await host.h.handle({ id: 7, type: 'generate', prompt: encodeUtf8(' and'), options: { ...options, length: 40, continue: true } });
      return only(host.responses, 'chunk').flatMap((r) => [...r.chunk.bytes]);
    };
    const withCompare = await continued(t, true);
    expect(withCompare).toHaveLength(40);
    expect(withCompare).toEqual(await continued(await loaded(), false));

    t.responses.length = 0;
    await t.h.handle({ id: 8, type: 'compare', prompt, options });
    await t.h.handle({ id: 8, type: 'compare', prompt, options });
    const [a, b] = only(t.responses, 'compared').map((r) => r.samples);
    expect([a.original.length, a.tuned.length]).toEqual([120, 120]);
    expect(b).toEqual(a); // the same seed, the same bytes
    // Each from a fresh state, with its own weights: the original file's, and the tuned copy's.
    const fresh = async (file: Uint8Array) => Uint8Array.from((await openSession(await readSoma(file), 'wasm-simd')).generate(prompt, options), (e) => e.byte);
    expect(a.original).toEqual(await fresh(weights));
    await t.h.handle({ id: 9, type: 'export-tuned' });
    expect(a.tuned).toEqual(await fresh(only(t.responses, 'file')[0].bytes));

    await t.h.handle({ id: 10, type: 'compare', prompt, options: { ...options, length: 5000 } });
    expect(t.responses.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/at most 2000 bytes/) });
  });
});
