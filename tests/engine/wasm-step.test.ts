// The WASM engine's whole step beyond one byte at a time: the chunked calls (prompts, scoring) and
// the profiled step give the per-byte step's bits; the same seed samples the same bytes on both
// engines for every decoder input; a mismatched module or state is refused with a clear error.
import { describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/engine/protocol';
import type { Session } from '../../src/engine/session';
import { wasmKernels } from '../../src/engine/wasm';
import { CHUNK_BYTES, type StepProfile, wasmStep, wasmStepFloats } from '../../src/engine/wasm-step';
import { kernelsWasm } from '../../src/cli/node-engine';
import { DECODER_INPUTS, DEFAULT_CONFIG } from '../../src/model/config';
import { stateLayout } from '../../src/model/forward';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { ENGLISH, sessions } from '../helpers';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const SAMPLED: GenerateRequest = { length: 2000, temperature: 0.9, topK: 0, topP: 0.97, repeatPenalty: 1.05, repeatWindow: 64, seed: 11 };

function generated(s: Session, prompt: Uint8Array, req: GenerateRequest): Uint8Array {
  s.reset();
  return Uint8Array.from(s.generate(prompt, req), (ev) => ev.byte);
}

describe('the WASM whole step', () => {
  it('score() in chunks gives the per-byte score and state, bit for bit, and the JS engine agrees', async () => {
    const { js, wasm } = await sessions();
    const text = ENGLISH.subarray(0, 15 * CHUNK_BYTES + 40); // whole chunks and a part
    wasm.reset();
    const perByte = wasm.score(text, () => {}); // a callback: one step per byte
    const afterPerByte = bits(wasm.logits);
    wasm.reset();
    const chunked = wasm.score(text);
    expect(chunked).toBe(perByte);
    expect(bits(wasm.logits)).toEqual(afterPerByte);
    expect(wasm.contextBytes).toBe(text.length);
    js.reset();
    expect(js.score(text)).toBe(chunked);
    expect(bits(js.logits)).toEqual(afterPerByte);
    expect(js.expert).toBe(wasm.expert);
  });

  it('feed() takes a prompt in chunks to the state feedByte() reaches', async () => {
    const { wasm } = await sessions();
    const prompt = ENGLISH.subarray(100, 100 + 2 * CHUNK_BYTES + 7);
    wasm.reset();
    for (const b of prompt) wasm.feedByte(b);
    const [logits, expert] = [bits(wasm.logits), wasm.expert];
    wasm.reset();
    wasm.feed(prompt);
    expect(bits(wasm.logits)).toEqual(logits);
    expect(wasm.expert).toBe(expert);
    expect(wasm.contextBytes).toBe(prompt.length);
  });

  it('the profiled step gives the plain step bits and times every part', async () => {
    const { wasm } = await sessions();
    const text = ENGLISH.subarray(0, 300);
    wasm.reset();
    for (const b of text) wasm.feedByte(b);
    const logits = bits(wasm.logits);
    const p: StepProfile = { bytes: 0, router: 0, gates1: 0, cells1: 0, gates2: 0, cells2: 0, decoder: 0 };
    wasm.reset();
    for (const b of text) wasm.feedByteProfiled(b, p);
    expect(bits(wasm.logits)).toEqual(logits);
    expect(p.bytes).toBe(text.length);
    expect(p.gates1 + p.gates2).toBeGreaterThan(0);
  });

  for (const decoderInput of DECODER_INPUTS)
    it(`the same seed samples the same ${SAMPLED.length} bytes on both engines (decoder input ${decoderInput})`, async () => {
      const { js, wasm } = await sessions({ ...DEFAULT_CONFIG, decoderInput });
      const prompt = ENGLISH.subarray(0, 150);
      const a = generated(js, prompt, SAMPLED);
      const b = generated(wasm, prompt, SAMPLED);
      expect(new Set(a).size).toBeGreaterThan(20); // it really samples
      expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    });

  it('refuses a chunk over CHUNK_BYTES, a batched state and a module without the whole step', async () => {
    const config = DEFAULT_CONFIG;
    const layout = weightLayout(config);
    const state = stateLayout(config, 1, 0).size;
    const k = await wasmKernels(await kernelsWasm(), layout.total + 2 * state + wasmStepFloats());
    const w = weightOffsets(layout, k.base);
    const one = stateLayout(config, 1, k.base + layout.total);
    const ws = wasmStep(k, config, w, one, one.ur + one.size);
    expect(() => ws.chunk(new Uint8Array(CHUNK_BYTES + 1), false)).toThrow(RangeError);
    const two = stateLayout(config, 2, k.base + layout.total);
    expect(() => wasmStep(k, config, w, two, two.ur + two.size)).toThrow(/one stream/);
    const old = { ...k, exports: { ...k.exports, step: undefined } } as unknown as typeof k;
    expect(() => wasmStep(old, config, w, one, one.ur + one.size)).toThrow(/npm run asbuild/);
  });

  it("refuses a layer 2 with the element-wise recurrence; the WASM session then steps through forward.ts on its kernels, and the JS engine agrees bit for bit", async () => {
    const config = { ...DEFAULT_CONFIG, layer2Recurrence: 'unit' as const };
    const layout = weightLayout(config);
    const k = await wasmKernels(await kernelsWasm(), layout.total + stateLayout(config, 1, 0).size + wasmStepFloats());
    const one = stateLayout(config, 1, k.base + layout.total);
    expect(() => wasmStep(k, config, weightOffsets(layout, k.base), one, one.ur + one.size)).toThrow(/full recurrence/);
    const { js, wasm } = await sessions(config);
    const text = ENGLISH.subarray(0, 300);
    expect(wasm.score(text)).toBe(js.score(text));
    expect(bits(wasm.logits)).toEqual(bits(js.logits));
    expect(generated(wasm, text.subarray(0, 20), { ...SAMPLED, length: 200 })).toEqual(generated(js, text.subarray(0, 20), { ...SAMPLED, length: 200 }));
    expect(() => wasm.feedByteProfiled(65, { bytes: 0, router: 0, gates1: 0, cells1: 0, gates2: 0, cells2: 0, decoder: 0 })).toThrow(/only the WASM whole step/);
  });
});
