// The losses a shard computes from logits, and the block steps' exact ± loss differences, in
// TypeScript (float64). The trainer's native kernels (src/cli/native/train-kernels.c) are their
// faster twins, tested against them. No Node APIs here.
//
// Targets are hard (the next byte t) or soft: a distribution w over the 256 bytes per row (w =
// (1 − α)·[v = t] + α·q for a teacher's q, see teacher.ts), given as `soft` ([rows, 256]). The loss
// of logits l is then logsumexp(l) − Σ_v w_v·l_v, which is −log p_t when w is one-hot.
import { geluOf } from '../model/forward';
import { logSumExp } from '../model/sampler';

/** out[j] = −log softmax(logits row j)[targets[j]], rows of 256 at heap[logits ..]; with soft targets, logsumexp − Σ_v w_v·l_v. */
export type NllRows = (heap: Float32Array, logits: number, rows: number, targets: Uint8Array, out: Float64Array, soft?: Float32Array) => void;

/** Σ_v w_v·x[at + v·stride] over row r of the soft targets: the target's share of a linear term. */
function softDot(soft: Float32Array, r: number, x: Float32Array, at: number, stride: number): number {
  let s = 0;
  for (let v = 0; v < 256; v++) s += soft[r * 256 + v] * x[at + v * stride];
  return s;
}

export const tsNll: NllRows = (heap, logits, rows, targets, out, soft) => {
  for (let j = 0; j < rows; j++) {
    const l = logits + j * 256;
    out[j] = logSumExp(heap, l, 256) - (soft ? softDot(soft, j, heap, l, 1) : heap[l + targets[j]]);
  }
};

/**
 * The row steps' loss differences over `rows` rows of 256 logits at heap[logits ..] and shifts at
 * heap[shift ..]: with p = softmax(l) and δ = eps·shift[r, v], adds into out[v] the exact loss with
 * l_v moved by +δ minus the loss with it moved by −δ,
 *   log(1 + p_v(e^δ − 1)) − log(1 + p_v(e^−δ − 1)) − [v = t_r]·2δ   (soft targets: − w_v·2δ).
 */
export type RowDiffs = (heap: Float32Array, logits: number, shift: number, rows: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array) => void;

/** p = softmax of the 256 logits at heap[l ..]. */
export function softmax256(heap: Float32Array, l: number, p: Float64Array): void {
  let max = -Infinity;
  for (let v = 0; v < 256; v++) if (heap[l + v] > max) max = heap[l + v];
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += p[v] = Math.exp(heap[l + v] - max);
  for (let v = 0; v < 256; v++) p[v] /= sum;
}

export const tsRowDiffs: RowDiffs = (heap, logits, shift, rows, targets, eps, out, soft) => {
  const p = new Float64Array(256);
  for (let r = 0; r < rows; r++) {
    const sh = shift + r * 256, t = targets[r];
    softmax256(heap, logits + r * 256, p);
    for (let v = 0; v < 256; v++) {
      const d = eps * heap[sh + v];
      const up = Math.expm1(d), down = -up / (1 + up); // e^δ − 1 and e^−δ − 1
      out[v] += Math.log1p(p[v] * up) - Math.log1p(p[v] * down);
    }
    if (soft) for (let v = 0; v < 256; v++) out[v] -= 2 * eps * heap[sh + v] * soft[r * 256 + v];
    else out[t] -= 2 * eps * heap[sh + t];
  }
};

/**
 * The unit steps' loss differences over `rows` rows: logits at heap[logits ..] ([rows, 256]), the
 * hidden layer's pre-activations and shifts at heap[pre ..] and heap[shift ..] ([rows, m]), the
 * decoder's W2 at heap[w2 ..] ([256, m]). With δ = eps·shift[r, u], unit u's GELU moves by
 * Δ± = gelu(pre ± δ) − gelu(pre) and the logits by Δ±·W2[:, u]; adds into out[u] the exact loss
 * at + minus the loss at −:
 *   log(1 + Σ_v p_v(e^{Δ+·W2[v,u]} − 1)) − log(1 + Σ_v p_v(e^{Δ−·W2[v,u]} − 1)) − (Δ+ − Δ−)·W2[t,u]
 * (soft targets: Σ_v w_v·W2[v,u] in place of W2[t,u]).
 */
export type UnitDiffs = (heap: Float32Array, logits: number, pre: number, shift: number, w2: number, rows: number, m: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array) => void;

export const tsUnitDiffs: UnitDiffs = (heap, logits, pre, shift, w2, rows, m, targets, eps, out, soft) => {
  const p = new Float64Array(256);
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    softmax256(heap, logits + r * 256, p);
    for (let u = 0; u < m; u++) {
      const x = heap[pre + r * m + u], d = eps * heap[shift + r * m + u], h = geluOf(x);
      const dp = geluOf(x + d) - h, dm = geluOf(x - d) - h;
      let sp = 0, sm = 0;
      for (let v = 0; v < 256; v++) {
        const wv = heap[w2 + v * m + u];
        sp += p[v] * Math.expm1(dp * wv);
        sm += p[v] * Math.expm1(dm * wv);
      }
      out[u] += Math.log1p(sp) - Math.log1p(sm) - (dp - dm) * (soft ? softDot(soft, r, heap, w2 + u, m) : heap[w2 + t * m + u]);
    }
  }
};
