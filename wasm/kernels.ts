// SOMA's WebAssembly SIMD kernels (AssemblyScript). Pointers are byte addresses into linear memory.
//
// Every dot product is computed in one fixed order, the one src/model/kernels.ts documents and
// the JS engine reproduces: two f32x4 accumulators over blocks of 8, a scalar f32 tail, then
// ((l0 + l1) + (l2 + l3)) + tail with lk = a0[k] + a1[k]. No fused multiply-add, so the
// result is bit-identical to the JS kernels.

/** The first byte free for the heap: past AssemblyScript's static data, 64-byte aligned. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

// @ts-ignore: decorator
@inline function finish(a0: v128, a1: v128, tail: f32): f32 {
  const a = f32x4.add(a0, a1);
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1)) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3)) + tail;
}

// @ts-ignore: decorator
@inline function dotRow(w: usize, x: usize, cols: i32): f32 {
  const n8 = cols & ~7;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  for (let i = 0; i < n8; i += 8) {
    const o = (<usize>i) << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w + o), v128.load(x + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w + o, 16), v128.load(x + o, 16)));
  }
  let tail: f32 = 0;
  for (let i = n8; i < cols; i++) tail += load<f32>(w + ((<usize>i) << 2)) * load<f32>(x + ((<usize>i) << 2));
  return finish(a0, a1, tail);
}

/** y[r] = W[r,:]·x + b[r].  W: [rows, cols] row-major.  Four rows at a time share each load of x. */
export function matvec(y: usize, w: usize, b: usize, x: usize, rows: i32, cols: i32): void {
  const n8 = cols & ~7;
  const stride = (<usize>cols) << 2;
  let r = 0;
  for (; r + 3 < rows; r += 4) {
    const w0 = w + (<usize>r) * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
    for (let i = 0; i < n8; i += 8) {
      const o = (<usize>i) << 2;
      const x0 = v128.load(x + o), x1 = v128.load(x + o, 16);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + o), x0));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w0 + o, 16), x1));
      b0 = f32x4.add(b0, f32x4.mul(v128.load(w1 + o), x0));
      b1 = f32x4.add(b1, f32x4.mul(v128.load(w1 + o, 16), x1));
      c0 = f32x4.add(c0, f32x4.mul(v128.load(w2 + o), x0));
      c1 = f32x4.add(c1, f32x4.mul(v128.load(w2 + o, 16), x1));
      d0 = f32x4.add(d0, f32x4.mul(v128.load(w3 + o), x0));
      d1 = f32x4.add(d1, f32x4.mul(v128.load(w3 + o, 16), x1));
    }
    let ta: f32 = 0, tb: f32 = 0, tc: f32 = 0, td: f32 = 0;
    for (let i = n8; i < cols; i++) {
      const o = (<usize>i) << 2;
      const xi = load<f32>(x + o);
      ta += load<f32>(w0 + o) * xi;
      tb += load<f32>(w1 + o) * xi;
      tc += load<f32>(w2 + o) * xi;
      td += load<f32>(w3 + o) * xi;
    }
    const yo = y + ((<usize>r) << 2), bo = b + ((<usize>r) << 2);
    store<f32>(yo, finish(a0, a1, ta) + load<f32>(bo));
    store<f32>(yo, finish(b0, b1, tb) + load<f32>(bo, 4), 4);
    store<f32>(yo, finish(c0, c1, tc) + load<f32>(bo, 8), 8);
    store<f32>(yo, finish(d0, d1, td) + load<f32>(bo, 12), 12);
  }
  for (; r < rows; r++) store<f32>(y + ((<usize>r) << 2), dotRow(w + (<usize>r) * stride, x, cols) + load<f32>(b + ((<usize>r) << 2)));
}

/**
 * Y[j,r] = W[r,:]·X[j,:] + b[r] for j < batch.  X: [batch, cols], Y: [batch, rows].
 * Each row of W is loaded once for four rows of X (eight accumulators), the trainer's batched form.
 */
export function matmul(y: usize, w: usize, b: usize, x: usize, rows: i32, cols: i32, batch: i32): void {
  if (batch == 1) {
    matvec(y, w, b, x, rows, cols);
    return;
  }
  const n8 = cols & ~7;
  const xs = (<usize>cols) << 2;
  const ys = (<usize>rows) << 2;
  for (let r = 0; r < rows; r++) {
    const wr = w + (<usize>r) * xs;
    const bias = load<f32>(b + ((<usize>r) << 2));
    let j = 0;
    for (; j + 3 < batch; j += 4) {
      const x0 = x + (<usize>j) * xs, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
      for (let i = 0; i < n8; i += 8) {
        const o = (<usize>i) << 2;
        const w0 = v128.load(wr + o), w1 = v128.load(wr + o, 16);
        a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(x0 + o)));
        a1 = f32x4.add(a1, f32x4.mul(w1, v128.load(x0 + o, 16)));
        b0 = f32x4.add(b0, f32x4.mul(w0, v128.load(x1 + o)));
        b1 = f32x4.add(b1, f32x4.mul(w1, v128.load(x1 + o, 16)));
        c0 = f32x4.add(c0, f32x4.mul(w0, v128.load(x2 + o)));
        c1 = f32x4.add(c1, f32x4.mul(w1, v128.load(x2 + o, 16)));
        d0 = f32x4.add(d0, f32x4.mul(w0, v128.load(x3 + o)));
        d1 = f32x4.add(d1, f32x4.mul(w1, v128.load(x3 + o, 16)));
      }
      let ta: f32 = 0, tb: f32 = 0, tc: f32 = 0, td: f32 = 0;
      for (let i = n8; i < cols; i++) {
        const o = (<usize>i) << 2;
        const wi = load<f32>(wr + o);
        ta += wi * load<f32>(x0 + o);
        tb += wi * load<f32>(x1 + o);
        tc += wi * load<f32>(x2 + o);
        td += wi * load<f32>(x3 + o);
      }
      const yo = y + (<usize>j) * ys + ((<usize>r) << 2);
      store<f32>(yo, finish(a0, a1, ta) + bias);
      store<f32>(yo + ys, finish(b0, b1, tb) + bias);
      store<f32>(yo + 2 * ys, finish(c0, c1, tc) + bias);
      store<f32>(yo + 3 * ys, finish(d0, d1, td) + bias);
    }
    for (; j < batch; j++) store<f32>(y + (<usize>j) * ys + ((<usize>r) << 2), dotRow(wr, x + (<usize>j) * xs, cols) + bias);
  }
}

// The whole per-byte step, and its parts for the benchmark's profile.
export { planFields, step, stepCells1, stepCells2, stepChunk, stepDecoder, stepGates1, stepGates2, stepRouter } from './step';
