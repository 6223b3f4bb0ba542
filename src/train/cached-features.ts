// The decoders' steps on one window's cached features. The LSTM features of a window are computed
// once at θ (the shard reads them) and kept here grouped by winning expert, so each step that moves
// only the decoders costs decoder passes, not trunk passes:
// - head steps: every expert's whole decoder perturbed at once, a ± pair of decoder passes;
// - block steps: each row of a decoder matrix, with its bias, perturbed alone; the perturbed
//   model's exact loss on every cached byte follows from the one pass at θ (losses.ts).
import { type SomaConfig, decoderWidth } from '../model/config';
import { type Model, decode } from '../model/forward';
import type { NllRows, RowDiffs, UnitDiffs } from './losses';
import type { DecoderBlockPhase, PassLoss, Slice } from './spsa';

export class CachedFeatures {
  private readonly at: { dec: number; hid: number; logits: number; shift: number }; // heap offsets: [rows, D], [rows, M], [rows, V], [rows, max(V, 2M)]
  private readonly targets: Uint8Array; // [rows] the byte to predict, grouped like dec
  private soft: Float32Array | null = null; // [rows, 256] soft targets (losses.ts), grouped like dec, or null for hard targets
  private readonly start: Int32Array; // [K + 1] expert e's rows are start[e] .. start[e+1]
  private readonly rowLosses: Float64Array; // [rows]
  valid = false; // a window is cached and the features have not moved since

  /** Heap floats the cache of `rows` bytes needs. */
  static floats(c: SomaConfig, rows: number): number {
    return rows * (decoderWidth(c) + c.mlpHidden + c.vocab + Math.max(c.vocab, 2 * c.mlpHidden));
  }

  constructor(
    private readonly model: Model,
    private readonly losses: { nll: NllRows; rowDiffs: RowDiffs; unitDiffs: UnitDiffs },
    private readonly rows: number, // B·T
    base: number, // where the cache starts in the heap
  ) {
    const { mlpHidden: M, vocab: V } = model.config;
    const D = decoderWidth(model.config);
    this.at = { dec: base, hid: base + rows * D, logits: base + rows * (D + M), shift: base + rows * (D + M + V) };
    this.targets = new Uint8Array(rows);
    this.start = new Int32Array(model.config.experts + 1);
    this.rowLosses = new Float64Array(rows);
  }

  /** Keeps a window: row r's winner win[r], the byte it must predict tgt[r] (and its soft targets soft[r·256 ..]), its decoder input dec[r·D ..]. Grouped by expert (a counting sort). */
  store(win: Int32Array, tgt: Uint8Array, dec: Float32Array, soft: Float32Array | null = null): void {
    const K = this.model.config.experts;
    const D = decoderWidth(this.model.config);
    const heap = this.model.kernels.heap;
    const start = this.start;
    start.fill(0);
    for (const e of win) start[e + 1]++;
    for (let e = 0; e < K; e++) start[e + 1] += start[e];
    const next = start.slice(0, K);
    if (soft) this.soft ??= new Float32Array(this.rows * 256);
    else this.soft = null;
    for (let r = 0; r < this.rows; r++) {
      const at = next[win[r]]++;
      heap.set(dec.subarray(r * D, (r + 1) * D), this.at.dec + at * D);
      this.targets[at] = tgt[r];
      if (soft) this.soft!.set(soft.subarray(r * 256, (r + 1) * 256), at * 256);
    }
    this.valid = true;
  }

  /** Expert e's rows of the window: the first (in the grouped order) and their count, their decoder inputs' heap offset ([count, D]), targets and soft targets. */
  expertRows(e: number): { first: number; count: number; dec: number; targets: Uint8Array; soft: Float32Array | undefined } {
    const first = this.start[e], count = this.start[e + 1] - first;
    return { first, count, dec: this.at.dec + first * decoderWidth(this.model.config), targets: this.targets.subarray(first, first + count), soft: this.softOf(first, count) };
  }

  /** The soft targets of expert rows r0 .. r0 + n, or undefined for hard targets. */
  private softOf(r0: number, n: number): Float32Array | undefined {
    return this.soft?.subarray(r0 * 256, (r0 + n) * 256);
  }

  private emptyLoss(): PassLoss {
    const K = this.model.config.experts;
    return { plus: new Float64Array(K), minus: new Float64Array(K), count: new Float64Array(K), bytes: this.rows, consumed: 0 };
  }

  /** A head step's ± pair: load(±ε) writes θ ± εz into the heap's decoders. */
  headStep(load: (scale: number) => void, eps: number): PassLoss {
    const { experts: K, mlpHidden: M, vocab: V } = this.model.config;
    const D = decoderWidth(this.model.config);
    const out = this.emptyLoss();
    const { at, start, rowLosses } = this;
    for (const [sign, into] of [[1, out.plus], [-1, out.minus]] as const) {
      load(sign * eps);
      for (let e = 0; e < K; e++) {
        const n = start[e + 1] - start[e];
        out.count[e] = n;
        if (n === 0) continue;
        const r0 = start[e];
        decode(this.model, e, at.dec + r0 * D, at.hid + r0 * M, at.logits + r0 * V, n);
        this.losses.nll(this.model.kernels.heap, at.logits + r0 * V, n, this.targets.subarray(r0, r0 + n), rowLosses, this.softOf(r0, n));
        let sum = 0;
        for (let i = 0; i < n; i++) sum += rowLosses[i];
        into[e] = sum;
      }
    }
    return out;
  }

  /**
   * A block step, with θ in the heap: every block (row of the phase's matrix, with its bias; groups[e]
   * is expert e's [W, b]) of every expert perturbed alone by ±εz_j. The ± losses are both reported as
   * the loss at θ; blocks[e·N + j] holds block j's exact loss difference.
   */
  blockStep(phase: DecoderBlockPhase, groups: Slice[][], z: Float32Array, theta: Float32Array, eps: number): PassLoss {
    const { experts: K, mlpHidden: M, vocab: V } = this.model.config;
    const D = decoderWidth(this.model.config);
    const N = phase === 'rows' ? V : M;
    const out: PassLoss = { ...this.emptyLoss(), blocks: new Float64Array(K * N) };
    const { at, start } = this;
    const { kernels, w } = this.model;
    const heap = kernels.heap;
    groups.forEach(([W, b], e) => {
      const n = start[e + 1] - start[e];
      out.count[e] = n;
      if (n === 0) return;
      const r0 = start[e];
      const dec = at.dec + r0 * D, hid = at.hid + r0 * M, logits = at.logits + r0 * V, shift = at.shift + r0 * Math.max(V, 2 * M);
      const targets = this.targets.subarray(r0, r0 + n), soft = this.softOf(r0, n);
      decode(this.model, e, dec, hid, logits, n);
      this.losses.nll(heap, logits, n, targets, this.rowLosses, soft);
      for (let i = 0; i < n; i++) out.plus[e] += this.rowLosses[i];
      out.minus[e] = out.plus[e];
      const pre = shift + n * M; // units: [n, M] after the shifts
      if (phase === 'units') kernels.matmul(pre, w.mlpW1 + e * M * D, w.mlpB1 + e * M, dec, M, D, n);
      // shift[r, j] = z_j·x_r + z_bj over the matrix's input x (hid for rows, dec for units): z as a
      // matrix in place of expert e's own, through the kernels' product, then θ back.
      const wAt = w.embed + W.offset, bAt = w.embed + b.offset;
      heap.set(z.subarray(W.offset, W.offset + W.size), wAt);
      heap.set(z.subarray(b.offset, b.offset + b.size), bAt);
      kernels.matmul(shift, wAt, bAt, phase === 'rows' ? hid : dec, N, phase === 'rows' ? M : D, n);
      heap.set(theta.subarray(W.offset, W.offset + W.size), wAt);
      heap.set(theta.subarray(b.offset, b.offset + b.size), bAt);
      const diff = out.blocks!.subarray(e * N, (e + 1) * N);
      if (phase === 'rows') this.losses.rowDiffs(heap, logits, shift, n, targets, eps, diff, soft);
      else this.losses.unitDiffs(heap, logits, pre, shift, w.mlpW2 + e * V * M, n, M, targets, eps, diff, soft);
    });
    return out;
  }
}
