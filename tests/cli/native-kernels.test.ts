// The trainer's native kernels against the reference (the plain TS kernels and elementwise math).
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/model/config';
import { tsElementwise } from '../../src/model/forward';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { Rng } from '../../src/model/random';
import { logSumExp } from '../../src/model/sampler';
import { tsUnitDiffs } from '../../src/train/losses';
import { type NativeTrainKernels, nativeTrainKernels } from '../../src/cli/native-kernels';
import { makeShard } from '../../src/cli/train-shards';
import { ENGLISH } from '../helpers';

const FLOATS = 1 << 18;

function setup(): { n: NativeTrainKernels; ref: ReturnType<typeof jsKernels> } {
  const n = nativeTrainKernels(FLOATS);
  if (typeof n === 'string') throw new Error(n); // gcc and Node's headers are part of the set-up
  const rng = new Rng(9);
  for (let i = 0; i < FLOATS; i++) n.kernels.heap[i] = rng.normal();
  return { n, ref: jsKernels(n.kernels.heap.slice()) };
}

const maxRelDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]) / (1 + Math.abs(b[i]))), 0);

describe('native trainer kernels', () => {
  it('matmul and matvec match the reference for every shape, remainders included', () => {
    const { n, ref } = setup();
    for (const [rows, cols, batch] of [[1, 1, 1], [3, 5, 2], [4, 8, 16], [7, 13, 17], [128, 64, 32], [256, 96, 33], [16, 64, 1]]) {
      const y = 200_000;
      n.kernels.matmul(y, 0, 100_000, 150_000, rows, cols, batch);
      ref.matmul(y, 0, 100_000, 150_000, rows, cols, batch);
      expect(maxRelDiff(n.kernels.heap.subarray(y, y + rows * batch), ref.heap.subarray(y, y + rows * batch))).toBeLessThan(1e-5);
      n.kernels.matvec(y, 0, 100_000, 150_000, rows, cols);
      ref.matvec(y, 0, 100_000, 150_000, rows, cols);
      expect(maxRelDiff(n.kernels.heap.subarray(y, y + rows), ref.heap.subarray(y, y + rows))).toBeLessThan(1e-5);
    }
  });

  it('LSTM cells, layer norms and the loss match the reference', () => {
    const { n, ref } = setup();
    n.elementwise.lstmCells(n.kernels.heap, 0, 10_000, 20_000, 32, 40, 64);
    tsElementwise.lstmCells(ref.heap, 0, 10_000, 20_000, 32, 40, 64);
    expect(maxRelDiff(n.kernels.heap.subarray(10_000, 30_000), ref.heap.subarray(10_000, 30_000))).toBeLessThan(2e-6);
    n.elementwise.layerNorms(n.kernels.heap, 40_000, 50, 50_000, 40, 60_000, 60_100, 32, 20);
    tsElementwise.layerNorms(ref.heap, 40_000, 50, 50_000, 40, 60_000, 60_100, 32, 20);
    expect(maxRelDiff(n.kernels.heap.subarray(50_000, 51_000), ref.heap.subarray(50_000, 51_000))).toBeLessThan(1e-5);
    // Layer 2's element-wise recurrence: the same bits as the reference (one product and sum, rounded once).
    const gates = [80_000, 80_000 + 3 * 5 * 4 * 16], before = n.kernels.heap.slice(...gates); // K 3 × B 5 rows of 4H, H 16
    n.elementwise.addOwnState(n.kernels.heap, gates[0], 90_000, 95_000, 16, 3, 5);
    tsElementwise.addOwnState(ref.heap, gates[0], 90_000, 95_000, 16, 3, 5);
    expect(n.kernels.heap.subarray(...gates)).toEqual(ref.heap.subarray(...gates));
    expect(n.kernels.heap.subarray(...gates)).not.toEqual(before);
    const targets = Uint8Array.from({ length: 12 }, (_, j) => (j * 37) % 256);
    const out = new Float64Array(12);
    n.nll(70_000, 12, targets, out);
    for (let j = 0; j < 12; j++) expect(out[j]).toBeCloseTo(logSumExp(ref.heap, 70_000 + 256 * j, 256) - ref.heap[70_000 + 256 * j + targets[j]], 4);
  });

  it.each([
    ['small moves (summed through their moments)', 1e-3, 0.1, 1e-6],
    ['large moves (summed term by term)', 0.5, 1, 1e-4],
  ])("the unit steps' loss differences match the reference: %s", (_name, eps, wScale, tolerance) => {
    const { n, ref } = setup();
    const rows = 40, m = 24, at = { logits: 0, pre: 20_000, shift: 30_000, w2: 40_000 };
    for (const h of [n.kernels.heap, ref.heap]) for (let i = at.w2; i < at.w2 + 256 * m; i++) h[i] *= wScale;
    const targets = Uint8Array.from({ length: rows }, (_, j) => (j * 53) % 256);
    const soft = new Float32Array(rows * 256).map((_, i) => ((i * 7919) % 101) / (101 * 128));
    for (const w of [undefined, soft]) {
      const got = new Float64Array(m), want = new Float64Array(m);
      n.unitDiffs(at.logits, at.pre, at.shift, at.w2, rows, m, targets, eps, got, w);
      tsUnitDiffs(ref.heap, at.logits, at.pre, at.shift, at.w2, rows, m, targets, eps, want, w);
      const scale = Math.max(...want.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let u = 0; u < m; u++) expect(Math.abs(got[u] - want[u])).toBeLessThan(tolerance * scale);
    }
  });

  it('refuses offsets outside the heap instead of reading past it', () => {
    const { n } = setup();
    expect(() => n.kernels.matmul(FLOATS - 10, 0, 0, 0, 64, 64, 4)).toThrow(/out of the heap/);
    expect(() => n.elementwise.lstmCells(n.kernels.heap, -1, 0, 0, 8, 1, 8)).toThrow(/out of the heap/);
    expect(() => n.nll(FLOATS - 100, 1, new Uint8Array(1), new Float64Array(1))).toThrow(/out of the heap/);
    expect(() => n.elementwise.addOwnState(n.kernels.heap, FLOATS - 10, 0, 0, 8, 1, 1)).toThrow(/out of the heap/);
  });

  it('an SPSA evaluation on native kernels gives the losses of the WASM reference path', async () => {
    const spec = { config: DEFAULT_CONFIG, theta: initWeights(DEFAULT_CONFIG, 2), text: ENGLISH, batch: 8, window: 16, seed: 1 };
    const wasm = (await makeShard({ ...spec, kernels: 'wasm' })).evaluate(5, 'experts', 1e-3);
    const native = (await makeShard({ ...spec, kernels: 'native' })).evaluate(5, 'experts', 1e-3);
    expect(native.count).toEqual(wasm.count);
    for (let e = 0; e < 16; e++) {
      expect(native.plus[e]).toBeCloseTo(wasm.plus[e], 3);
      expect(native.minus[e]).toBeCloseTo(wasm.minus[e], 3);
    }
  });
});
