// The losses a shard computes from logits, and the block steps' exact ± loss differences, in
// TypeScript (float64). The trainer's native kernels (src/cli/native/train-kernels.c) are their
// faster twins, tested against them. No Node APIs here.
import { geluOf } from '../model/forward';
import { logSumExp } from '../model/sampler';

/** out[j] = −log softmax(logits row j)[targets[j]], rows of 256 at heap[logits ..]. */
export type NllRows = (heap: Float32Array, logits: number, rows: number, targets: Uint8Array, out: Float64Array) => void;

export const tsNll: NllRows = (heap, logits, rows, targets, out) => {
  for (let j = 0; j < rows; j++) out[j] = logSumExp(heap, logits + j * 256, 256) - heap[logits + j * 256 + targets[j]];
};

/**
 * The row steps' loss differences over `rows` rows of 256 logits at heap[logits ..] and shifts at
 * heap[shift ..]: with p = softmax(l) and δ = eps·shift[r, v], adds into out[v] the exact loss with
 * l_v moved by +δ minus the loss with it moved by −δ,
 *   log(1 + p_v(e^δ − 1)) − log(1 + p_v(e^−δ − 1)) − [v = t_r]·2δ.
 */
export type RowDiffs = (heap: Float32Array, logits: number, shift: number, rows: number, targets: Uint8Array, eps: number, out: Float64Array) => void;

/** p = softmax of the 256 logits at heap[l ..]. */
function softmax256(heap: Float32Array, l: number, p: Float64Array): void {
  let max = -Infinity;
  for (let v = 0; v < 256; v++) if (heap[l + v] > max) max = heap[l + v];
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += p[v] = Math.exp(heap[l + v] - max);
  for (let v = 0; v < 256; v++) p[v] /= sum;
}

export const tsRowDiffs: RowDiffs = (heap, logits, shift, rows, targets, eps, out) => {
  const p = new Float64Array(256);
  for (let r = 0; r < rows; r++) {
    const sh = shift + r * 256, t = targets[r];
    softmax256(heap, logits + r * 256, p);
    for (let v = 0; v < 256; v++) {
      const d = eps * heap[sh + v];
      const up = Math.expm1(d), down = -up / (1 + up); // e^δ − 1 and e^−δ − 1
      out[v] += Math.log1p(p[v] * up) - Math.log1p(p[v] * down);
    }
    out[t] -= 2 * eps * heap[sh + t];
  }
};

/**
 * The unit steps' loss differences over `rows` rows: logits at heap[logits ..] ([rows, 256]), the
 * hidden layer's pre-activations and shifts at heap[pre ..] and heap[shift ..] ([rows, m]), the
 * decoder's W2 at heap[w2 ..] ([256, m]). With δ = eps·shift[r, u], unit u's GELU moves by
 * Δ± = gelu(pre ± δ) − gelu(pre) and the logits by Δ±·W2[:, u]; adds into out[u] the exact loss
 * at + minus the loss at −:
 *   log(1 + Σ_v p_v(e^{Δ+·W2[v,u]} − 1)) − log(1 + Σ_v p_v(e^{Δ−·W2[v,u]} − 1)) − (Δ+ − Δ−)·W2[t,u].
 */
export type UnitDiffs = (heap: Float32Array, logits: number, pre: number, shift: number, w2: number, rows: number, m: number, targets: Uint8Array, eps: number, out: Float64Array) => void;

export const tsUnitDiffs: UnitDiffs = (heap, logits, pre, shift, w2, rows, m, targets, eps, out) => {
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
      out[u] += Math.log1p(sp) - Math.log1p(sm) - (dp - dm) * heap[w2 + t * m + u];
    }
  }
};
