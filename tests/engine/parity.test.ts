// Each engine against the reference model (forward.ts's step() over the plain TS kernels, on a
// heap of its own), over 12 KB of real English with state carried, for every decoder input:
// the same expert and the same logits, bit for bit, on every byte. The JS engine runs step()
// itself, so its half checks the session's plumbing; the WASM engine's whole step (wasm/step.ts)
// is an independent port, and its half checks the port.
import { describe, expect, it } from 'vitest';
import { DECODER_INPUTS, DEFAULT_CONFIG, type SomaConfig } from '../../src/model/config';
import { type Model, resetState, stateLayout, step } from '../../src/model/forward';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { ENGLISH, sessions } from '../helpers';

/** The first index where two float arrays differ in their bits, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

describe('engine parity', () => {
  it('compares bits, not values', () => {
    expect(firstBitDifference(new Float32Array([1, 0]), new Float32Array([1, -0]))).toBe(1); // -0 == 0, yet not the same bits
    expect(firstBitDifference(new Float32Array([NaN]), new Float32Array([NaN]))).toBe(-1);
  });

  for (const decoderInput of DECODER_INPUTS) {
    it(`JS and WASM engines give the reference's logits bit for bit over 10,000+ bytes (decoder input ${decoderInput})`, async () => {
      expect(ENGLISH.length).toBeGreaterThanOrEqual(10_000);
      const config: SomaConfig = { ...DEFAULT_CONFIG, decoderInput };
      const { file, js, wasm } = await sessions(config);
      const layout = weightLayout(config);
      const heap = new Float32Array(layout.total + stateLayout(config, 1, 0).size);
      heap.set(file.weights);
      const ref: Model = { config, kernels: jsKernels(heap), w: weightOffsets(layout) };
      const s = stateLayout(config, 1, layout.total);
      resetState(heap, s);
      const win = new Int32Array(1);
      const experts = new Set<number>();
      const r = heap.subarray(s.logits, s.logits + 256);
      for (let i = 0; i < ENGLISH.length; i++) {
        const b = ENGLISH[i];
        step(ref, s, [b], win);
        js.feedByte(b);
        wasm.feedByte(b);
        // Each engine's [expert, first logit whose bits differ]; on a failure the byte index says where.
        const got = { byte: i, js: [js.expert, firstBitDifference(js.logits, r)], wasm: [wasm.expert, firstBitDifference(wasm.logits, r)] };
        if (got.js[0] !== win[0] || got.js[1] !== -1 || got.wasm[0] !== win[0] || got.wasm[1] !== -1) expect(got).toEqual({ byte: i, js: [win[0], -1], wasm: [win[0], -1] });
        experts.add(win[0]);
      }
      expect(firstBitDifference(wasm.routerScores, heap.subarray(s.scores, s.scores + config.experts))).toBe(-1);
      expect(experts.size).toBeGreaterThan(1);
    }, 300_000); // two plain-JS steps a byte: about 45 s on an idle core, several times that on a busy machine
  }
});
