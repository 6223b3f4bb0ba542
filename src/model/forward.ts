// THE MODEL. One byte step of SOMA, for a batch of B independent byte streams.
//
//   x      = embed[byte]                                   the byte, embedded          [E]
//   router = LSTM(x, hr)          scores = Wh·hr + bh      who should speak next        [K]
//   winner = argmax(scores)                                (the first of equal maxima)
//   for every expert e (all of them, every byte, so any expert can win at any time):
//     h1_e = LSTM1_e(x, h1_e)     y1_e = LN1_e(h1_e)
//     h2_e = LSTM2_e(y1_e, h2_e)     gates W2·[y1; h2] + b2, or with layer2Recurrence 'unit'
//                                    W2·y1 + b2 + r2 ⊙ [h2; h2; h2; h2] (each unit reads its own state)
//   only the winner is decoded, from d = LN2_w(h2_w), or with decoderInput 'h2+h1+x' from
//     d = [LN2_w(h2_w); LN1_w(h1_w); x], and with 'h2+h1+x+r' from [LN2_w(h2_w); LN1_w(h1_w); x; hr]  [D]
//     m = GELU(W1_w·d + b1_w)   logits = W2_w·m + b2_w                                        [V]
//
// Matrix products go through Kernels (JS or WASM SIMD, same summation order); gates, layer norms
// and GELU are here, in TypeScript, shared by every engine. No DOM, no I/O.
import { type SomaConfig, decoderWidth } from './config';
import type { Kernels } from './kernels';
import type { WeightOffsets } from './weights';

export interface Model {
  config: SomaConfig;
  kernels: Kernels;
  w: WeightOffsets; // where each tensor sits in kernels.heap
  /** Gates and norms; the TypeScript reference below unless a trainer brings a faster twin. */
  elementwise?: Elementwise;
}

/** The elementwise half of a step, over many rows at once. */
export interface Elementwise {
  /** LSTM cells over `rows` rows of n units: gates [i; f; g; o] at g + r·4n, cells at c + r·n, h written at h + r·hStride. */
  lstmCells(a: Float32Array, g: number, c: number, h: number, n: number, rows: number, hStride: number): void;
  /** out + r·outStride = LN(x + r·xStride) over n elements, one gain and bias for every row. */
  layerNorms(a: Float32Array, x: number, xStride: number, out: number, outStride: number, gain: number, bias: number, n: number, rows: number): void;
  /** Layer 2's element-wise recurrence ('unit'), as addOwnState below. */
  addOwnState(a: Float32Array, g: number, r: number, h: number, H: number, K: number, B: number): void;
}

/** Where the state and scratch buffers of B streams sit in the heap (offsets in floats). */
export interface StateLayout {
  batch: number; // B
  ur: number; // [B, E+R]   router input [x; hr]; hr lives here between steps
  cr: number; // [B, R]     router cell
  gr: number; // [B, 4R]    router gates (i, f, g, o)
  scores: number; // [B, K]  router scores
  u1: number; // [K, B, E+H] layer-1 input [x; h1]; h1 lives here between steps
  c1: number; // [K, B, H]   layer-1 cells
  g1: number; // [K, B, 4H]  layer-1 gates
  u2: number; // [K, B, 2H]  layer-2 input [ln1(h1); h2]; h2 lives here between steps ('unit': [K, B, H], ln1(h1) alone)
  h2: number; // where row 0's h2 sits: u2 + H, or for 'unit' its own buffer [K, B, H]
  l2Stride: number; // floats from one row of u2 (and of h2) to the next: 2H, or H for 'unit'
  c2: number; // [K, B, H]   layer-2 cells
  g2: number; // [K, B, 4H]  layer-2 gates
  dec: number; // [B, D]     the decoder's input for each stream's winner
  hid: number; // [B, M]     GELU layer of each stream's winner
  logits: number; // [B, V]  next-byte logits of each stream
  size: number; // floats from the first buffer to the end of the last
}

export function stateLayout(c: SomaConfig, batch: number, base: number): StateLayout {
  const { vocab: V, embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = c;
  const B = batch;
  let at = base;
  const take = (n: number) => {
    const o = at;
    at += Math.ceil(n / 4) * 4; // keep every buffer 16-byte aligned
    return o;
  };
  const unit = c.layer2Recurrence === 'unit';
  const s = {
    batch: B,
    ur: take(B * (E + R)),
    cr: take(B * R),
    gr: take(B * 4 * R),
    scores: take(B * K),
    u1: take(K * B * (E + H)),
    c1: take(K * B * H),
    g1: take(K * B * 4 * H),
    u2: take(K * B * (unit ? H : 2 * H)),
    h2: 0,
    l2Stride: unit ? H : 2 * H,
    c2: take(K * B * H),
    g2: take(K * B * 4 * H),
    dec: take(B * decoderWidth(c)),
    hid: take(B * M),
    logits: take(B * V),
    size: 0,
  };
  s.h2 = unit ? take(K * B * H) : s.u2 + H; // after the rest, so the 'full' layout is as it always was
  s.size = at - base;
  return s;
}

/** A fresh start: every hidden state and cell at zero. */
export function resetState(heap: Float32Array, s: StateLayout): void {
  heap.fill(0, s.ur, s.ur + s.size);
}

/**
 * The model's tanh: a rational minimax fit (the one Eigen uses for fp32), within 3e-7 of the true
 * tanh everywhere. It is the definition every engine, the trainer and the C benchmark share;
 * the JIT inlines it, where Math.tanh is a library call several times slower.
 */
export function tanh(x: number): number {
  const clamp = 7.90531110763549805; // past this, fp32 tanh is ±1 to within 3e-7
  x = x < -clamp ? -clamp : x > clamp ? clamp : x;
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p - 8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (x * p) / q;
}

/** σ(x) = (1 + tanh(x/2)) / 2, exactly, so it shares tanh's accuracy and speed. */
export const sigmoid = (x: number): number => 0.5 + 0.5 * tanh(0.5 * x);

/** LSTM cell for n units: gates g = [i; f; g; o] at `g`, cell at `c` (updated), new h written at `h`. */
function lstmCell(a: Float32Array, g: number, c: number, h: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const ig = sigmoid(a[g + i]);
    const fg = sigmoid(a[g + n + i]);
    const gg = tanh(a[g + 2 * n + i]);
    const og = sigmoid(a[g + 3 * n + i]);
    a[c + i] = fg * a[c + i] + ig * gg;
    a[h + i] = og * tanh(a[c + i]);
  }
}

const LN_EPS = 1e-5;

/** out = gain ⊙ (x − mean) / sqrt(var + eps) + bias, over n elements. */
function layerNorm(a: Float32Array, x: number, out: number, gain: number, bias: number, n: number): void {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[x + i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (a[x + i] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / n + LN_EPS);
  for (let i = 0; i < n; i++) a[out + i] = (a[x + i] - mean) * inv * a[gain + i] + a[bias + i];
}

/** The reference elementwise math, in float64, stored to the fp32 heap. */
export const tsElementwise: Elementwise = {
  lstmCells(a, g, c, h, n, rows, hStride) {
    for (let r = 0; r < rows; r++) lstmCell(a, g + r * 4 * n, c + r * n, h + r * hStride, n);
  },
  layerNorms(a, x, xStride, out, outStride, gain, bias, n, rows) {
    for (let r = 0; r < rows; r++) layerNorm(a, x + r * xStride, out + r * outStride, gain, bias, n);
  },
  addOwnState: (a, g, r, h, H, K, B) => addOwnState(a, g, r, h, H, K, B),
};

const GELU_C = Math.sqrt(2 / Math.PI);
/** GELU, tanh form. */
export const geluOf = (v: number): number => 0.5 * v * (1 + tanh(GELU_C * (v + 0.044715 * v * v * v)));

/** GELU in place over n elements. */
function gelu(a: Float32Array, x: number, n: number): void {
  for (let i = 0; i < n; i++) a[x + i] = geluOf(a[x + i]);
}

/**
 * Advances B streams by one byte each: bytes[j] is stream j's byte. Writes each stream's winning
 * expert to winners[j] and its next-byte logits to heap[s.logits + j*V ..].
 */
export function step(m: Model, s: StateLayout, bytes: ArrayLike<number>, winners: Int32Array): void {
  const { vocab: V, embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = m.config;
  const { kernels: k, w } = m;
  const ew = m.elementwise ?? tsElementwise;
  const a = k.heap;
  const B = s.batch;

  // x = embed[byte], copied into the router input and every expert's layer-1 input.
  for (let j = 0; j < B; j++) {
    const x = w.embed + bytes[j] * E;
    a.copyWithin(s.ur + j * (E + R), x, x + E);
    for (let e = 0; e < K; e++) a.copyWithin(s.u1 + (e * B + j) * (E + H), x, x + E);
  }

  // Router: gates = W·[x; hr] + b, then the cell; scores = Wh·hr + bh; winner = argmax.
  k.matmul(s.gr, w.routerW, w.routerB, s.ur, 4 * R, E + R, B);
  ew.lstmCells(a, s.gr, s.cr, s.ur + E, R, B, E + R);
  for (let j = 0; j < B; j++) {
    k.matvec(s.scores + j * K, w.headW, w.headB, s.ur + j * (E + R) + E, K, R);
    let best = 0;
    for (let e = 1; e < K; e++) if (a[s.scores + j * K + e] > a[s.scores + j * K + best]) best = e;
    winners[j] = best;
  }

  // Every expert, layer 1: gates = W1·[x; h1] + b1, the cells of all K·B rows at once,
  // then y1 = LN1(h1) goes to the front of layer 2's input.
  for (let e = 0; e < K; e++) {
    k.matmul(s.g1 + e * B * 4 * H, w.l1W + e * 4 * H * (E + H), w.l1B + e * 4 * H, s.u1 + e * B * (E + H), 4 * H, E + H, B);
  }
  ew.lstmCells(a, s.g1, s.c1, s.u1 + E, H, K * B, E + H);
  const L = s.l2Stride;
  for (let e = 0; e < K; e++)
    ew.layerNorms(a, s.u1 + e * B * (E + H) + E, E + H, s.u2 + e * B * L, L, w.ln1G + e * H, w.ln1B + e * H, H, B);

  // Every expert, layer 2: gates = W2·[y1; h2] + b2 (or W2·y1 + b2 + r2 ⊙ h2 per gate), then the cells.
  for (let e = 0; e < K; e++) k.matmul(s.g2 + e * B * 4 * H, w.l2W + e * 4 * H * L, w.l2B + e * 4 * H, s.u2 + e * B * L, 4 * H, L, B);
  if (m.config.layer2Recurrence === 'unit') ew.addOwnState(a, s.g2, w.l2R!, s.h2, H, K, B);
  ew.lstmCells(a, s.g2, s.c2, s.h2, H, K * B, L);

  // The winner alone decodes: d = LN2(h2) [; LN1(h1); x [; hr]], hid = GELU(W1·d + b1), logits = W2·hid + b2.
  const D = decoderWidth(m.config);
  for (let j = 0; j < B; j++) {
    const e = winners[j];
    const y1 = s.u2 + (e * B + j) * L, h2 = s.h2 + (e * B + j) * L; // LN1(h1) and h2 of the winner
    const d = s.dec + j * D;
    ew.layerNorms(a, h2, 0, d, 0, w.ln2G + e * H, w.ln2B + e * H, H, 1);
    if (D > H) {
      a.copyWithin(d + H, y1, y1 + H);
      a.copyWithin(d + 2 * H, w.embed + bytes[j] * E, w.embed + (bytes[j] + 1) * E);
    }
    if (D > 2 * H + E) a.copyWithin(d + 2 * H + E, s.ur + j * (E + R) + E, s.ur + (j + 1) * (E + R));
    decode(m, e, d, s.hid + j * M, s.logits + j * V, 1);
  }
}

/**
 * Layer 2's element-wise recurrence ('unit'): gates[e, j, q·H + i] += r[e, q·H + i] · h2[e, j, i] for the
 * four gates q, over K experts × B streams; gates at g ([K, B, 4H]), r at r ([K, 4H]), h2 at h ([K, B, H]).
 * One product and one sum per gate, rounded to fp32 once: (W·y1 + b) + r·h2.
 */
export function addOwnState(a: Float32Array, g: number, r: number, h: number, H: number, K: number, B: number): void {
  for (let e = 0; e < K; e++)
    for (let j = 0; j < B; j++) {
      const gj = g + (e * B + j) * 4 * H, hj = h + (e * B + j) * H, re = r + e * 4 * H;
      for (let q = 0; q < 4; q++) for (let i = 0; i < H; i++) a[gj + q * H + i] += a[re + q * H + i] * a[hj + i];
    }
}

/**
 * Expert e's decoder over `rows` rows of decoder inputs: hid = GELU(W1·d + b1), logits = W2·hid + b2.
 * d: [rows, D], hid: [rows, M], logits: [rows, V]. (A trainer that caches d calls it directly.)
 */
export function decode(m: Model, e: number, d: number, hid: number, logits: number, rows: number): void {
  const { vocab: V, mlpHidden: M } = m.config;
  const D = decoderWidth(m.config);
  const { kernels: k, w } = m;
  k.matmul(hid, w.mlpW1 + e * M * D, w.mlpB1 + e * M, d, M, D, rows);
  gelu(k.heap, hid, rows * M);
  k.matmul(logits, w.mlpW2 + e * V * M, w.mlpB2 + e * V, hid, V, M, rows);
}
