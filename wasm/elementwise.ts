// The elementwise half of the step (AssemblyScript): LSTM cells, layer norms, GELU. A port of the
// reference in src/model/forward.ts, which computes them in float64 and stores to the fp32 heap.
// Every f64 operation here is the reference's, in the reference's order, so the stored f32 bits
// are the same: +, −, ×, ÷ and sqrt are correctly rounded in both JS and WASM, and no step
// needs Math.exp. The cells run two units at a time in f64x2 lanes (units are independent, so
// this changes no order); the layer norms' sums stay sequential, as the reference adds them.
// Pointers are byte addresses of f32 buffers.

// The model's rational tanh (forward.ts `tanh`), its constants written as the reference writes them.
const CLAMP: f64 = 7.90531110763549805;
const P0: f64 = -2.76076847742355e-16, P1: f64 = 2.00018790482477e-13, P2: f64 = 8.60467152213735e-11;
const P3: f64 = 5.12229709037114e-8, P4: f64 = 1.48572235717979e-5, P5: f64 = 6.37261928875436e-4;
const P6: f64 = 4.89352455891786e-3;
const Q0: f64 = 1.19825839466702e-6, Q1: f64 = 1.18534705686654e-4, Q2: f64 = 2.268434632439e-3;
const Q3: f64 = 4.89352518554385e-3;
const LN_EPS: f64 = 1e-5;
const GELU_C: f64 = 0.7978845608028654; // Math.sqrt(2 / Math.PI), as forward.ts computes it
const GELU_A: f64 = 0.044715;

// @ts-ignore: decorator
@inline export function tanh(x: f64): f64 {
  x = x < -CLAMP ? -CLAMP : x > CLAMP ? CLAMP : x;
  const x2 = x * x;
  let p = x2 * P0 + P1;
  p = x2 * p - P2;
  p = x2 * p + P3;
  p = x2 * p + P4;
  p = x2 * p + P5;
  p = x2 * p + P6;
  let q = x2 * Q0 + Q1;
  q = x2 * q + Q2;
  q = x2 * q + Q3;
  return (x * p) / q;
}

// @ts-ignore: decorator
@inline function sigmoid(x: f64): f64 {
  return 0.5 + 0.5 * tanh(0.5 * x);
}

// The f64x2 constants, each in both lanes, as data: V8 rebuilds a v128 constant at every use in
// a loop (several instructions), where a load from memory is one.
const SPLATS = memory.data<f64>([-CLAMP, -CLAMP, CLAMP, CLAMP, P0, P0, P1, P1, P2, P2, P3, P3, P4, P4, P5, P5, P6, P6, Q0, Q0, Q1, Q1, Q2, Q2, Q3, Q3, 0.5, 0.5]);
const NEG_CLAMP2 = 0, CLAMP2 = 1, P02 = 2, P12 = 3, P22 = 4, P32 = 5, P42 = 6, P52 = 7, P62 = 8, Q02 = 9, Q12 = 10, Q22 = 11, Q32 = 12, HALF2 = 13;

/** Both lanes of constant k of SPLATS. */
// @ts-ignore: decorator
@inline function splat(k: i32): v128 {
  return v128.load(SPLATS + ((<usize>k) << 4));
}

// @ts-ignore: decorator
@inline function mulAdd2(a: v128, b: v128, k: i32): v128 {
  return f64x2.add(f64x2.mul(a, b), splat(k));
}

/** tanh in both f64 lanes: the scalar tanh's operations, lane by lane. */
// @ts-ignore: decorator
@inline function tanh2(x: v128): v128 {
  // pmax(a, b) is a < b ? b : a and pmin(a, b) is b < a ? b : a, exactly the reference's clamp
  // (NaN and −0 included), in one instruction each.
  x = f64x2.pmax(x, splat(NEG_CLAMP2)); // x < −clamp ? −clamp : x
  x = f64x2.pmin(x, splat(CLAMP2)); // x > clamp ? clamp : x
  const x2 = f64x2.mul(x, x);
  let p = mulAdd2(x2, splat(P02), P12);
  p = f64x2.sub(f64x2.mul(x2, p), splat(P22));
  p = mulAdd2(x2, p, P32);
  p = mulAdd2(x2, p, P42);
  p = mulAdd2(x2, p, P52);
  p = mulAdd2(x2, p, P62);
  let q = mulAdd2(x2, splat(Q02), Q12);
  q = mulAdd2(x2, q, Q22);
  q = mulAdd2(x2, q, Q32);
  return f64x2.div(f64x2.mul(x, p), q);
}

// @ts-ignore: decorator
@inline function sigmoid2(x: v128): v128 {
  const half = splat(HALF2);
  return f64x2.add(half, f64x2.mul(half, tanh2(f64x2.mul(half, x))));
}

/** Two f32 at p, as f64x2. */
// @ts-ignore: decorator
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** f64x2 rounded to two f32 at p. */
// @ts-ignore: decorator
@inline function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/**
 * LSTM cells over `rows` rows of n units: gates [i; f; g; o] at g + r·4n, cells at c + r·n
 * (updated), h written at h + r·hStride (bytes). forward.ts `lstmCell`, row by row.
 */
export function lstmCells(g: usize, c: usize, h: usize, n: i32, rows: i32, hStride: usize): void {
  const nb = (<usize>n) << 2;
  for (let r = 0; r < rows; r++) {
    const gr = g + (<usize>r) * 4 * nb, cr = c + (<usize>r) * nb, hr = h + (<usize>r) * hStride;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const o = (<usize>i) << 2;
      const ig = sigmoid2(load2(gr + o));
      const fg = sigmoid2(load2(gr + nb + o));
      const gg = tanh2(load2(gr + 2 * nb + o));
      const og = sigmoid2(load2(gr + 3 * nb + o));
      store2(cr + o, f64x2.add(f64x2.mul(fg, load2(cr + o)), f64x2.mul(ig, gg)));
      store2(hr + o, f64x2.mul(og, tanh2(load2(cr + o)))); // tanh of the cell as stored, in f32
    }
    for (; i < n; i++) {
      const o = (<usize>i) << 2;
      const ig = sigmoid(<f64>load<f32>(gr + o));
      const fg = sigmoid(<f64>load<f32>(gr + nb + o));
      const gg = tanh(<f64>load<f32>(gr + 2 * nb + o));
      const og = sigmoid(<f64>load<f32>(gr + 3 * nb + o));
      store<f32>(cr + o, <f32>(fg * <f64>load<f32>(cr + o) + ig * gg));
      store<f32>(hr + o, <f32>(og * tanh(<f64>load<f32>(cr + o))));
    }
  }
}

/** out = gain ⊙ (x − mean) / sqrt(var + eps) + bias over n elements: forward.ts `layerNorm`. */
export function layerNorm(x: usize, out: usize, gain: usize, bias: usize, n: i32): void {
  let mean: f64 = 0;
  for (let i = 0; i < n; i++) mean += <f64>load<f32>(x + ((<usize>i) << 2));
  mean /= <f64>n;
  let v: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(x + ((<usize>i) << 2)) - mean;
    v += d * d; // the reference's (x − mean) ** 2, which is exactly d·d
  }
  const inv = 1 / Math.sqrt(v / <f64>n + LN_EPS);
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(out + o, <f32>((<f64>load<f32>(x + o) - mean) * inv * <f64>load<f32>(gain + o) + <f64>load<f32>(bias + o)));
  }
}

/** GELU (tanh form) in place over n elements: forward.ts `geluOf`. */
export function gelu(x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = x + ((<usize>i) << 2);
    const v = <f64>load<f32>(p);
    store<f32>(p, <f32>(0.5 * v * (1 + tanh(GELU_C * (v + GELU_A * v * v * v)))));
  }
}
