// Each engine against the reference model (forward.ts over the plain TS kernels), over 12 KB of
// real English with state carried: logits within 1e-6 and the same expert on every byte.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/model/config';
import { type Model, resetState, stateLayout, step } from '../../src/model/forward';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { ENGLISH, sessions } from '../helpers';

describe('engine parity', () => {
  it('JS and WASM SIMD engines stay within 1e-6 of the reference over 10,000+ bytes', async () => {
    expect(ENGLISH.length).toBeGreaterThanOrEqual(10_000);
    const { file, js, wasm } = await sessions();
    const layout = weightLayout(DEFAULT_CONFIG);
    const heap = new Float32Array(layout.total + stateLayout(DEFAULT_CONFIG, 1, 0).size);
    heap.set(file.weights);
    const ref: Model = { config: DEFAULT_CONFIG, kernels: jsKernels(heap), w: weightOffsets(layout) };
    const s = stateLayout(DEFAULT_CONFIG, 1, layout.total);
    resetState(heap, s);
    const win = new Int32Array(1);
    const diff = { js: 0, wasm: 0 };
    const experts = new Set<number>();
    for (const b of ENGLISH) {
      step(ref, s, [b], win);
      js.feedByte(b);
      wasm.feedByte(b);
      expect(js.expert).toBe(win[0]);
      expect(wasm.expert).toBe(win[0]);
      experts.add(win[0]);
      const r = heap.subarray(s.logits, s.logits + 256);
      for (let i = 0; i < 256; i++) {
        diff.js = Math.max(diff.js, Math.abs(js.logits[i] - r[i]));
        diff.wasm = Math.max(diff.wasm, Math.abs(wasm.logits[i] - r[i]));
      }
    }
    expect(diff.js).toBeLessThanOrEqual(1e-6);
    expect(diff.wasm).toBeLessThanOrEqual(1e-6);
    expect(experts.size).toBeGreaterThan(1);
  });
});
