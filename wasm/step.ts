// The whole per-byte step of one stream (AssemblyScript): forward.ts `step()` with B = 1, in one
// call. The state and scratch buffers are stateLayout()'s, so the engine reads logits and scores
// where the reference leaves them. Matrix products use the kernels' one summation order and the
// elementwise math is the reference's float64 math (elementwise.ts), so the logits are the
// reference's bit for bit. Each part is exported too, for the benchmark's profile of the step.
import { matvec } from './kernels';
import { gelu, layerNorm, lstmCells } from './elementwise';

/**
 * Where a model sits in memory: its sizes, then byte addresses of its weights (weightOffsets())
 * and of one stream's state (stateLayout(), B = 1). src/engine/wasm-step.ts writes it, field by
 * field in this order, as i32.
 */
@unmanaged class Plan {
  E: i32; // embed
  R: i32; // routerHidden
  K: i32; // experts
  H: i32; // expertHidden
  M: i32; // mlpHidden
  D: i32; // decoder input width: H, 2H + E or 2H + E + R
  embed: usize; // [V, E]
  routerW: usize; // [4R, E+R]
  routerB: usize; // [4R]
  headW: usize; // [K, R]
  headB: usize; // [K]
  l1W: usize; // [K, 4H, E+H]
  l1B: usize; // [K, 4H]
  ln1G: usize; // [K, H]
  ln1B: usize; // [K, H]
  l2W: usize; // [K, 4H, 2H]
  l2B: usize; // [K, 4H]
  ln2G: usize; // [K, H]
  ln2B: usize; // [K, H]
  mlpW1: usize; // [K, M, D]
  mlpB1: usize; // [K, M]
  mlpW2: usize; // [K, V, M]
  mlpB2: usize; // [K, V]
  ur: usize; // [E+R]    router input [x; hr]
  cr: usize; // [R]      router cell
  gr: usize; // [4R]     router gates
  scores: usize; // [K]  router scores
  u1: usize; // [K, E+H] layer-1 inputs [x; h1]
  c1: usize; // [K, H]   layer-1 cells
  g1: usize; // [K, 4H]  layer-1 gates
  u2: usize; // [K, 2H]  layer-2 inputs [LN1(h1); h2]
  c2: usize; // [K, H]   layer-2 cells
  g2: usize; // [K, 4H]  layer-2 gates
  dec: usize; // [D]     the winner's decoder input
  hid: usize; // [M]     the winner's GELU layer
  logits: usize; // [V]  next-byte logits
}

const V: i32 = 256;

/** Fields in a Plan, for the loader's check that it writes the layout this module reads. */
export function planFields(): i32 {
  return <i32>(offsetof<Plan>() >> 2);
}

/** The byte address of float `floats` of the buffer at `base`. */
// @ts-ignore: decorator
@inline function at(base: usize, floats: i32): usize {
  return base + ((<usize>floats) << 2);
}

// @ts-ignore: decorator
@inline function copy(dst: usize, src: usize, floats: i32): void {
  memory.copy(dst, src, (<usize>floats) << 2);
}

/** x = embed[byte] into the router's and every expert's input; the router LSTM; its head; the argmax. */
export function stepRouter(plan: usize, byte: i32): i32 {
  const p = changetype<Plan>(plan);
  const E = p.E, R = p.R, K = p.K, H = p.H;
  const x = at(p.embed, byte * E);
  copy(p.ur, x, E);
  for (let e = 0; e < K; e++) copy(at(p.u1, e * (E + H)), x, E);
  matvec(p.gr, p.routerW, p.routerB, p.ur, 4 * R, E + R);
  lstmCells(p.gr, p.cr, at(p.ur, E), R, 1, 0);
  matvec(p.scores, p.headW, p.headB, at(p.ur, E), K, R);
  let best = 0;
  let top = load<f32>(p.scores);
  for (let e = 1; e < K; e++) {
    const s = load<f32>(at(p.scores, e));
    if (s > top) {
      top = s;
      best = e;
    }
  }
  return best;
}

/** Every expert's layer-1 gates W1·[x; h1] + b1: one pass over the K experts' contiguous weights. */
export function stepGates1(plan: usize): void {
  const p = changetype<Plan>(plan);
  const E = p.E, K = p.K, H = p.H;
  const cols = E + H, gates = 4 * H;
  for (let e = 0; e < K; e++)
    matvec(at(p.g1, e * gates), at(p.l1W, e * gates * cols), at(p.l1B, e * gates), at(p.u1, e * cols), gates, cols);
}

/** Every expert's layer-1 cells, then y1 = LN1(h1) to the front of layer 2's input. */
export function stepCells1(plan: usize): void {
  const p = changetype<Plan>(plan);
  const E = p.E, K = p.K, H = p.H;
  const cols = E + H;
  lstmCells(p.g1, p.c1, at(p.u1, E), H, K, (<usize>cols) << 2);
  for (let e = 0; e < K; e++)
    layerNorm(at(p.u1, e * cols + E), at(p.u2, e * 2 * H), at(p.ln1G, e * H), at(p.ln1B, e * H), H);
}

/** Every expert's layer-2 gates W2·[y1; h2] + b2: one pass over the K experts' contiguous weights. */
export function stepGates2(plan: usize): void {
  const p = changetype<Plan>(plan);
  const K = p.K, H = p.H;
  const cols = 2 * H, gates = 4 * H;
  for (let e = 0; e < K; e++)
    matvec(at(p.g2, e * gates), at(p.l2W, e * gates * cols), at(p.l2B, e * gates), at(p.u2, e * cols), gates, cols);
}

/** Every expert's layer-2 cells. */
export function stepCells2(plan: usize): void {
  const p = changetype<Plan>(plan);
  const K = p.K, H = p.H;
  const cols = 2 * H;
  lstmCells(p.g2, p.c2, at(p.u2, H), H, K, (<usize>cols) << 2);
}

/** The winner's decoder: d = LN2(h2) [; LN1(h1); x [; hr]], hid = GELU(W1·d + b1), logits = W2·hid + b2. */
export function stepDecoder(plan: usize, byte: i32, winner: i32): void {
  const p = changetype<Plan>(plan);
  const E = p.E, R = p.R, H = p.H, M = p.M, D = p.D, e = winner;
  const u2 = at(p.u2, e * 2 * H); // [LN1(h1); h2] of the winner
  const d = p.dec;
  layerNorm(at(u2, H), d, at(p.ln2G, e * H), at(p.ln2B, e * H), H);
  if (D > H) {
    copy(at(d, H), u2, H);
    copy(at(d, 2 * H), at(p.embed, byte * E), E);
  }
  if (D > 2 * H + E) copy(at(d, 2 * H + E), at(p.ur, E), R);
  matvec(p.hid, at(p.mlpW1, e * M * D), at(p.mlpB1, e * M), d, M, D);
  gelu(p.hid, M);
  matvec(p.logits, at(p.mlpW2, e * V * M), at(p.mlpB2, e * V), p.hid, V, M);
}

/** One byte: the whole step. Returns the router's winner, whose decoder wrote the logits. */
export function step(plan: usize, byte: i32): i32 {
  const winner = stepRouter(plan, byte);
  stepGates1(plan);
  stepCells1(plan);
  stepGates2(plan);
  stepCells2(plan);
  stepDecoder(plan, byte, winner);
  return winner;
}

/**
 * Known input (a prompt, a text to score): n bytes (u8 at `bytes`) stepped in one call. With
 * rows != 0, the logits after byte i are copied to rows + i·V (f32, [n, V]) for the caller to
 * score from. Returns the last byte's winner.
 */
export function stepChunk(plan: usize, bytes: usize, n: i32, rows: usize): i32 {
  let winner = 0;
  const logits = changetype<Plan>(plan).logits;
  for (let i = 0; i < n; i++) {
    winner = step(plan, <i32>load<u8>(bytes + <usize>i));
    if (rows) copy(at(rows, i * V), logits, V);
  }
  return winner;
}
