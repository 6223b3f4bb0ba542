// The Kernels interface, and the plain TypeScript kernels that make up the JS engine.
//
// Every engine computes a dot product in exactly one order, the order of the WASM SIMD kernels:
// f32 arithmetic, eight interleaved partial sums (two f32x4 accumulators, lanes 0-3 and 4-7),
// a scalar f32 tail for lengths that are not a multiple of 8, then
//   sum = ((l0 + l1) + (l2 + l3)) + tail, with lk = acc[k] + acc[k + 4], and y = sum + bias.
// Because that order is fixed, the JS and WASM engines give bit-identical logits,
// and the same seed samples the same bytes on every backend.

export type Backend = 'js' | 'wasm-simd';

export interface Kernels {
  readonly backend: Backend;
  /** Every offset below indexes this array (floats, not bytes). */
  readonly heap: Float32Array;
  /** y[r] = W[r,:]·x + b[r] for r < rows.  W: [rows, cols] row-major, x: [cols], y: [rows]. */
  matvec(y: number, w: number, b: number, x: number, rows: number, cols: number): void;
  /** Y[j,r] = W[r,:]·X[j,:] + b[r] for j < batch.  X: [batch, cols], Y: [batch, rows]. Same order as matvec. */
  matmul(y: number, w: number, b: number, x: number, rows: number, cols: number, batch: number): void;
}

const f = Math.fround;

/** The reference dot product over heap[w..w+n) and heap[x..x+n), in the order described above. */
export function dot(h: Float32Array, w: number, x: number, n: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    a0 = f(a0 + f(h[w + i] * h[x + i]));
    a1 = f(a1 + f(h[w + i + 1] * h[x + i + 1]));
    a2 = f(a2 + f(h[w + i + 2] * h[x + i + 2]));
    a3 = f(a3 + f(h[w + i + 3] * h[x + i + 3]));
    a4 = f(a4 + f(h[w + i + 4] * h[x + i + 4]));
    a5 = f(a5 + f(h[w + i + 5] * h[x + i + 5]));
    a6 = f(a6 + f(h[w + i + 6] * h[x + i + 6]));
    a7 = f(a7 + f(h[w + i + 7] * h[x + i + 7]));
  }
  let tail = 0;
  for (; i < n; i++) tail = f(tail + f(h[w + i] * h[x + i]));
  const l0 = f(a0 + a4), l1 = f(a1 + a5), l2 = f(a2 + a6), l3 = f(a3 + a7);
  return f(f(f(l0 + l1) + f(l2 + l3)) + tail);
}

/** The JS engine: plain loops over one Float32Array. */
export function jsKernels(heap: Float32Array): Kernels {
  return {
    backend: 'js',
    heap,
    matvec(y, w, b, x, rows, cols) {
      for (let r = 0; r < rows; r++) heap[y + r] = heap[b + r] + dot(heap, w + r * cols, x, cols);
    },
    matmul(y, w, b, x, rows, cols, batch) {
      for (let j = 0; j < batch; j++) {
        const xj = x + j * cols, yj = y + j * rows;
        for (let r = 0; r < rows; r++) heap[yj + r] = heap[b + r] + dot(heap, w + r * cols, xj, cols);
      }
    },
  };
}
