// Carrying trained weights into a wider decoder: a wider input (decoderInput) or more hidden units
// (mlpHidden). Every old weight keeps its place; the new input columns of the decoders' first layer and
// the new units' output weights start at zero, so the wider model computes exactly what the old one
// did (bit for bit when H and M are multiples of 8: the kernels' blocks of 8 then see the old weights as
// before, and the new ones add exact zeros). The new units' input rows take fresh values, so that the
// row steps see them from the start: a unit with zero input weights would read nothing.
import { DECODER_INPUTS, type SomaConfig, decoderWidth, numel, sameConfig, tensorSpecs } from './config';
import { weightLayout } from './weights';

/** Why `to` cannot carry a model of config `from`, or null: it may differ only by a wider decoder. */
export function widenError(from: SomaConfig, to: SomaConfig): string | null {
  if (!sameConfig({ ...from, decoderInput: to.decoderInput, mlpHidden: to.mlpHidden }, to)) return 'only the decoder input and its hidden width may differ';
  if (DECODER_INPUTS.indexOf(from.decoderInput) > DECODER_INPUTS.indexOf(to.decoderInput)) return `cannot carry a decoder that reads ${from.decoderInput} into one that reads ${to.decoderInput}`;
  if (from.mlpHidden > to.mlpHidden) return `cannot carry a decoder of ${from.mlpHidden} hidden units into one of ${to.mlpHidden}`;
  return null;
}

/**
 * The weights (or any array laid out like them, such as the trainer's momentum) of `from`, laid out
 * for `to`. Each tensor's old values sit at the same indices in its wider shape
 * (experts.mlp.w1 [K, M0, D0] → [K, M1, D1], experts.mlp.w2 [K, V, M0] → [K, V, M1], ...); a new
 * entry is zero, except a new unit's row of experts.mlp.w1, which is taken from `fresh` (weights of
 * `to`, such as initWeights gives) when it is given.
 */
export function widenDecoder(from: SomaConfig, weights: Float32Array, to: SomaConfig, fresh: Float32Array | null = null): Float32Array<ArrayBuffer> {
  const err = widenError(from, to);
  if (err) throw new RangeError(err);
  const src = weightLayout(from), dst = weightLayout(to);
  if (weights.length !== src.total) throw new RangeError(`expected ${src.total} floats for the narrow model, got ${weights.length}`);
  if (fresh && fresh.length !== dst.total) throw new RangeError(`expected ${dst.total} fresh floats, got ${fresh.length}`);
  const out = new Float32Array(dst.total);
  const oldShapes = new Map(tensorSpecs(from).map((t) => [t.name, t.shape]));
  for (const t of tensorSpecs(to)) {
    const a = src.byName.get(t.name)!, b = dst.byName.get(t.name)!;
    const shape0 = oldShapes.get(t.name)!;
    if (shape0.every((n, i) => n === t.shape[i])) {
      out.set(weights.subarray(a.offset, a.offset + a.size), b.offset);
      continue;
    }
    // Rows of the last axis: copy each old row into the start of its place in the new shape.
    const cols0 = shape0.at(-1)!, cols1 = t.shape.at(-1)!;
    const lead0 = shape0.slice(0, -1), lead1 = t.shape.slice(0, -1);
    for (let r = 0; r < numel(lead0); r++) {
      let at = 0; // row r's index in the new leading shape
      for (let i = 0, rest = r; i < lead0.length; i++) {
        const stride = numel(lead0.slice(i + 1));
        at = at * lead1[i] + Math.floor(rest / stride);
        rest %= stride;
      }
      out.set(weights.subarray(a.offset + r * cols0, a.offset + (r + 1) * cols0), b.offset + at * cols1);
    }
    if (fresh && t.name === 'experts.mlp.w1') {
      const [K, M1, D1] = t.shape, M0 = shape0[1];
      for (let e = 0; e < K; e++) {
        const rows = b.offset + (e * M1 + M0) * D1, end = b.offset + (e + 1) * M1 * D1;
        out.set(fresh.subarray(rows, end), rows);
      }
    }
  }
  return out;
}

/** A config's decoder in words, for messages and the provenance: its input (and width) and hidden units. */
export const describeDecoder = (c: SomaConfig): string => `${c.decoderInput} (D ${decoderWidth(c)}), M ${c.mlpHidden}`;
