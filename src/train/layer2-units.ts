// Block steps on layer 2's units, for a model whose layer 2 has the element-wise recurrence
// (layer2Recurrence 'unit', forward.ts). Block (e, u) is unit u of expert e: its four gate rows of
// experts.l2.w (4 × H weights), its four recurrent weights in experts.l2.r and its four biases in
// experts.l2.b, 4H + 8 weights. Moving it moves expert e's h2[u] and c2[u] alone along the window
// (each unit reads only its own previous state, and layer 1 does not move), so with the layer-1
// outputs y1 of a window cached at θ, the perturbed model's exact loss needs only:
//   - unit u's trajectory from the window's starting state, under θ ± εz (its gates: (W ± εz_W)·y1 +
//     b ± εz_b over the cached y1, plus (r ± εz_r)·h2[u] of its own new past);
//   - on every byte expert e decoded (the router is fixed), LN2 of h2 with unit u's new value, and
//     the decoder rerun on those rows, scored by the same loss as every other step (losses.ts).
// Every unit is computed side by side: each gate row of W belongs to one unit, so one product with
// every block moved at once, and row (±, stream) of one LSTM cell call, hold each unit u under its
// own block's perturbation, which touches nothing else. No Node APIs here.
import { type SomaConfig, decoderWidth } from '../model/config';
import { type Model, type StateLayout, decode, tsElementwise } from '../model/forward';
import type { CachedFeatures } from './cached-features';
import type { NllRows } from './losses';
import type { PassLoss, Slice } from './spsa';

/**
 * Rows per call of the kernels' matrix products: the native trainer kernels transpose both operands
 * on every call, and past about 64 rows that traffic costs more than the product (measured: a
 * [128 × 32] product ran at 60 GFLOP/s over 64 rows and 12 over 2048).
 */
const ROWS_PER_CALL = 64;

/** Where the step's buffers sit in the heap from `base` (offsets in floats), and where they end. */
function heapLayout(c: SomaConfig, batch: number, window: number, base: number) {
  const { experts: K, expertHidden: H, mlpHidden: M, vocab: V } = c;
  const R = batch * window, B2 = 2 * batch;
  let next = base;
  const take = (n: number) => ((next += n), next - n);
  const at = {
    y1: take(K * R * H), // [K, T·B, H] every expert's LN1(h1), row t·B + j
    pre: take(2 * R * 4 * H), // [2, T·B, 4H] one expert's (W ± εz_W)·y1 + b ± εz_b
    w: take(4 * H * H), // W ± εz_W of one expert
    b: take(4 * H), // b ± εz_b
    gates: take(B2 * 4 * H),
    cells: take(B2 * H),
    h: take(B2 * H),
    dec: take(2 * R * decoderWidth(c)),
    hid: take(2 * R * M),
    logits: take(2 * R * V),
    h2: take(2 * R * H), // [2n, H] the winner's h2 with one unit moved, then normed into dec
  };
  return { ...at, end: next };
}

/**
 * One expert's whole round in the trainer's native kernels (src/cli/native/layer2-kernels.h), the
 * same differences as step() below computed in a cheaper order: out[k] = loss(+) − loss(−) of block
 * (e, units[k]). ints: heap offsets y1, W, b, r; z offsets of W, r, b; dec, n; heap offsets ln2G, w1,
 * b1, w2, b2; then B, T, H, D, M. startH and startC are expert e's window start [B, H], h2 its rows'
 * h2 at θ [n, H], rowAt their bytes.
 */
export type Layer2Diffs = (
  ints: Int32Array,
  eps: number,
  z: Float32Array,
  units: Int32Array,
  startH: Float32Array,
  startC: Float32Array,
  h2: Float32Array,
  rowAt: Int32Array,
  targets: Uint8Array,
  out: Float64Array,
  soft?: Float32Array,
) => void;

export class Layer2Units {
  private readonly at: ReturnType<typeof heapLayout>;
  private readonly startH: Float32Array; // [K, B, H] h2 at the window's start
  private readonly startC: Float32Array; // [K, B, H] c2 at the window's start
  private readonly h2ByTime: Float32Array; // [T·B, H] the winner's h2 at θ, row t·B + j
  private readonly h2Win: Float32Array; // [T·B, H] the same grouped by winner as the cache's rows
  private readonly rowAt: Int32Array; // [T·B] the cache's row i (grouped) is byte t·B + j = rowAt[i]
  private readonly rMoved: Float64Array; // [2, 4H] one expert's r + εz_r, then r − εz_r (fp32 values)
  private readonly path: Float32Array; // [2, T·B, H] every unit's h2 under its own block at +ε, then at −ε
  private readonly targets: Uint8Array; // [2·T·B] an expert's targets, twice (rows at +ε, then at −ε)
  private readonly soft: Float32Array | null; // [2·T·B, 256] likewise, or null for hard targets
  private readonly rowLosses: Float64Array;
  readonly perRound: number; // U: units of each expert estimated per round

  /** The units a round estimates: U consecutive units (mod H) from an offset the step's seed picks; all of them in order when U = H. */
  unitsAt(stepSeed: number): number[] {
    const H = this.model.config.expertHidden, U = this.perRound;
    const first = U === H ? 0 : stepSeed % H;
    return Array.from({ length: U }, (_, j) => (first + j) % H);
  }

  /** Heap floats the step needs for windows of `batch` streams × `window` bytes (none for a 'full' layer 2). */
  static floats(c: SomaConfig, batch: number, window: number): number {
    return c.layer2Recurrence === 'unit' ? heapLayout(c, batch, window, 0).end : 0;
  }

  constructor(
    private readonly model: Model,
    private readonly nll: NllRows,
    private readonly batch: number,
    private readonly window: number,
    base: number,
    withSoftTargets: boolean,
    unitsPerRound: number, // units of each expert estimated per round (all of them, or a window at a seeded offset)
    private readonly native?: Layer2Diffs, // the round in native code, when the trainer's kernels have it
  ) {
    this.perRound = Math.max(1, Math.min(model.config.expertHidden, unitsPerRound));
    const { experts: K, expertHidden: H } = model.config;
    const R = batch * window;
    this.at = heapLayout(model.config, batch, window, base);
    this.startH = new Float32Array(K * batch * H);
    this.startC = new Float32Array(K * batch * H);
    this.h2ByTime = new Float32Array(R * H);
    this.h2Win = new Float32Array(R * H);
    this.rowAt = new Int32Array(R);
    this.rMoved = new Float64Array(2 * 4 * H);
    this.path = new Float32Array(2 * R * H);
    this.targets = new Uint8Array(2 * R);
    this.soft = withSoftTargets ? new Float32Array(2 * R * 256) : null;
    this.rowLosses = new Float64Array(2 * R);
  }

  /** Before the cached window is read at θ: its starting state. */
  begin(s: StateLayout): void {
    const heap = this.model.kernels.heap;
    const n = this.startH.length;
    this.startH.set(heap.subarray(s.h2, s.h2 + n));
    this.startC.set(heap.subarray(s.c2, s.c2 + n));
  }

  /** After byte t of the cached window: every expert's y1, and each stream's winner's h2. */
  record(t: number, s: StateLayout, winners: Int32Array): void {
    const heap = this.model.kernels.heap;
    const { experts: K, expertHidden: H } = this.model.config;
    const B = this.batch, R = B * this.window;
    for (let e = 0; e < K; e++) heap.copyWithin(this.at.y1 + (e * R + t * B) * H, s.u2 + e * B * H, s.u2 + (e + 1) * B * H);
    for (let j = 0; j < B; j++) {
      const h2 = s.h2 + (winners[j] * B + j) * H;
      this.h2ByTime.set(heap.subarray(h2, h2 + H), (t * B + j) * H);
    }
  }

  /** After the window: rows grouped by winner as CachedFeatures.store groups them (a stable counting sort). */
  store(win: Int32Array): void {
    const { experts: K, expertHidden: H } = this.model.config;
    const next = new Int32Array(K + 1);
    for (const e of win) next[e + 1]++;
    for (let e = 0; e < K; e++) next[e + 1] += next[e];
    for (let r = 0; r < win.length; r++) {
      const i = next[win[r]]++;
      this.rowAt[i] = r;
      this.h2Win.set(this.h2ByTime.subarray(r * H, (r + 1) * H), i * H);
    }
  }

  /**
   * The round's blocks' exact loss differences, with θ in the heap: blocks[e·U + j] = loss(+) − loss(−)
   * over the bytes expert e decoded, block (e, u) alone moved by ±εz, u the round's j-th unit
   * (unitsAt). groups[e] is expert e's [experts.l2.w, experts.l2.r, experts.l2.b]. The ± losses are
   * both reported as the loss at θ.
   */
  step(cache: CachedFeatures, groups: Slice[][], z: Float32Array, eps: number, stepSeed: number): PassLoss {
    const { experts: K, expertHidden: H, mlpHidden: M, vocab: V } = this.model.config;
    const units = this.unitsAt(stepSeed), U = units.length;
    const D = decoderWidth(this.model.config);
    const { at, batch: B, window: T, model } = this;
    const { kernels, w } = model;
    const ew = model.elementwise ?? tsElementwise;
    const heap = kernels.heap;
    const R = B * T;
    const out: PassLoss = { plus: new Float64Array(K), minus: new Float64Array(K), count: new Float64Array(K), bytes: R, consumed: 0, blocks: new Float64Array(K * U) };
    groups.forEach(([W, r, b], e) => {
      const rows = cache.expertRows(e);
      const n = rows.count;
      out.count[e] = n;
      if (n === 0) return;
      // The loss at θ.
      decode(model, e, rows.dec, at.hid, at.logits, n);
      this.nll(heap, at.logits, n, rows.targets, this.rowLosses, rows.soft);
      for (let i = 0; i < n; i++) out.plus[e] += this.rowLosses[i];
      out.minus[e] = out.plus[e];
      const diff = out.blocks!.subarray(e * U, (e + 1) * U);
      if (this.native) {
        const ints = [at.y1 + e * R * H, w.l2W + e * 4 * H * H, w.l2B + e * 4 * H, w.l2R! + e * 4 * H, W.offset, r.offset, b.offset, rows.dec, n, w.ln2G + e * H, w.mlpW1 + e * M * D, w.mlpB1 + e * M, w.mlpW2 + e * V * M, w.mlpB2 + e * V, B, T, H, D, M];
        const span = (a: Float32Array) => a.subarray(e * B * H, (e + 1) * B * H);
        this.native(Int32Array.from(ints), eps, z, Int32Array.from(units), span(this.startH), span(this.startC), this.h2Win.subarray(rows.first * H, (rows.first + n) * H), this.rowAt.subarray(rows.first, rows.first + n), rows.targets, diff, rows.soft);
        return;
      }

      // Every unit's trajectory under its own block at ±ε, over the whole window: the gates' input
      // part through the kernels with W ± εz and b ± εz_b (as the moved model computes it), then
      // (W·y1 + b) + (r ± εz_r)·h2 per gate, rounded once, as forward.ts's addOwnState does.
      const y1 = at.y1 + e * R * H;
      const wAt = w.l2W + e * 4 * H * H, bAt = w.l2B + e * 4 * H, rAt = w.l2R! + e * 4 * H;
      for (let sign = 0; sign < 2; sign++) {
        const d = sign === 0 ? eps : -eps;
        for (let i = 0; i < 4 * H * H; i++) heap[at.w + i] = heap[wAt + i] + d * z[W.offset + i];
        for (let i = 0; i < 4 * H; i++) {
          heap[at.b + i] = heap[bAt + i] + d * z[b.offset + i];
          this.rMoved[sign * 4 * H + i] = Math.fround(heap[rAt + i] + d * z[r.offset + i]);
        }
        for (let r0 = 0; r0 < R; r0 += ROWS_PER_CALL)
          kernels.matmul(at.pre + (sign * R + r0) * 4 * H, at.w, at.b, y1 + r0 * H, 4 * H, H, Math.min(ROWS_PER_CALL, R - r0));
        heap.set(this.startH.subarray(e * B * H, (e + 1) * B * H), at.h + sign * B * H);
        heap.set(this.startC.subarray(e * B * H, (e + 1) * B * H), at.cells + sign * B * H);
      }
      const rMoved = this.rMoved, gates = at.gates, hs = at.h, pre = at.pre;
      for (let t = 0; t < T; t++) {
        for (let sign = 0; sign < 2; sign++)
          for (let j = 0; j < B; j++) {
            const g = gates + (sign * B + j) * 4 * H, h = hs + (sign * B + j) * H, p = pre + (sign * R + t * B + j) * 4 * H, m = sign * 4 * H;
            for (const u of units) { // the others' cells run on stale gates, and are never read
              const hu = heap[h + u];
              heap[g + u] = heap[p + u] + rMoved[m + u] * hu;
              heap[g + H + u] = heap[p + H + u] + rMoved[m + H + u] * hu;
              heap[g + 2 * H + u] = heap[p + 2 * H + u] + rMoved[m + 2 * H + u] * hu;
              heap[g + 3 * H + u] = heap[p + 3 * H + u] + rMoved[m + 3 * H + u] * hu;
            }
          }
        ew.lstmCells(heap, at.gates, at.cells, at.h, H, 2 * B, H);
        for (let sign = 0; sign < 2; sign++) this.path.set(heap.subarray(at.h + sign * B * H, at.h + (sign + 1) * B * H), (sign * R + t * B) * H);
      }

      // The decoder's rows, ± in one call: [LN2(h2 with unit u moved); the cached rest of the input].
      const dec = rows.dec;
      for (let sign = 0; sign < 2; sign++) {
        for (let i = 0; i < n; i++) heap.copyWithin(at.dec + (sign * n + i) * D, dec + i * D, dec + (i + 1) * D);
        this.targets.set(rows.targets, sign * n);
        if (this.soft && rows.soft) this.soft.set(rows.soft, sign * n * 256);
      }
      const targets = this.targets.subarray(0, 2 * n), soft = this.soft?.subarray(0, 2 * n * 256);
      for (let k = 0; k < U; k++) {
        const u = units[k];
        for (let sign = 0; sign < 2; sign++) {
          heap.set(this.h2Win.subarray(rows.first * H, (rows.first + n) * H), at.h2 + sign * n * H);
          for (let i = 0; i < n; i++) heap[at.h2 + (sign * n + i) * H + u] = this.path[(sign * R + this.rowAt[rows.first + i]) * H + u];
        }
        ew.layerNorms(heap, at.h2, H, at.dec, D, w.ln2G + e * H, w.ln2B + e * H, H, 2 * n);
        for (let r0 = 0; r0 < 2 * n; r0 += ROWS_PER_CALL)
          decode(model, e, at.dec + r0 * D, at.hid + r0 * M, at.logits + r0 * V, Math.min(ROWS_PER_CALL, 2 * n - r0));
        this.nll(heap, at.logits, 2 * n, targets, this.rowLosses, soft);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += this.rowLosses[i] - this.rowLosses[n + i];
        diff[k] = sum;
      }
    });
    return out;
  }
}

/**
 * The update of a layer-2 unit step: block (e, u) moves along its own z by coef[e·U + j] through
 * move(from, to, c), u = units[j], over unit u's four gate rows of W, and its four entries of r and of b.
 */
export function applyLayer2Units(groups: Slice[][], H: number, units: number[], coef: Float64Array, move: (from: number, to: number, c: number) => void): void {
  const U = units.length;
  groups.forEach(([W, r, b], e) => {
    for (let j = 0; j < U; j++) {
      const u = units[j], c = coef[e * U + j];
      for (let q = 0; q < 4; q++) {
        const row = q * H + u;
        move(W.offset + row * H, W.offset + (row + 1) * H, c);
        move(r.offset + row, r.offset + row + 1, c);
        move(b.offset + row, b.offset + row + 1, c);
      }
    }
  });
}
