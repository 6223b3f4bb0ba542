import { describe, expect, it } from 'vitest';
import { dot, jsKernels } from '../../src/model/kernels';
import { Rng } from '../../src/model/random';
import { wasmKernels } from '../../src/engine/wasm';
import { kernelsWasm } from '../../src/cli/node-engine';

const SIZES: [number, number][] = [[1, 1], [3, 7], [5, 8], [2, 9], [7, 13], [16, 64], [33, 96], [256, 64], [4, 100]];

describe('kernels', () => {
  it('dot follows float64 math to fp32 accuracy', () => {
    const rng = new Rng(1);
    const h = new Float32Array(2 * 257).map(() => rng.normal());
    for (const n of [1, 7, 8, 9, 64, 257]) {
      let ref = 0;
      for (let i = 0; i < n; i++) ref += h[i] * h[257 + i];
      expect(Math.abs(dot(h, 0, 257, n) - ref)).toBeLessThan(1e-5 * n);
    }
  });

  it('WASM SIMD matvec and matmul are bit-identical to the JS kernels, tails included', async () => {
    const rng = new Rng(2);
    const floats = 1 << 16;
    const w = await wasmKernels(await kernelsWasm(), floats);
    const j = jsKernels(new Float32Array(floats));
    for (const [rows, cols] of SIZES)
      for (const batch of [1, 2, 3, 4, 5, 9]) {
        // W at 0, b after it, X after that, Y last; unaligned starts on purpose (+1).
        const W = 1, b = W + rows * cols, X = b + rows + 1, Y = X + batch * cols + 3;
        for (let i = 0; i < Y; i++) j.heap[i] = rng.normal();
        w.heap.set(j.heap.subarray(0, Y), w.base);
        j.matmul(Y, W, b, X, rows, cols, batch);
        const o = w.base;
        w.matmul(o + Y, o + W, o + b, o + X, rows, cols, batch);
        expect(w.heap.subarray(o + Y, o + Y + rows * batch)).toEqual(j.heap.subarray(Y, Y + rows * batch));
        // Each row of a batched product equals the matrix-vector product of that row.
        for (let k = 0; k < batch; k++) {
          w.matvec(o + Y + 4096, o + W, o + b, o + X + k * cols, rows, cols);
          expect(w.heap.subarray(o + Y + 4096, o + Y + 4096 + rows)).toEqual(j.heap.subarray(Y + k * rows, Y + (k + 1) * rows));
        }
      }
  });
});
