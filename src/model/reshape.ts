// Carrying trained weights into a wider decoder: every tensor is copied, and the new input columns
// of the decoders' first layer start at zero, so the wider model computes exactly what the old one did
// (bit for bit when H is a multiple of 8: the kernels' blocks of 8 then see the old columns as before).
import { DECODER_INPUTS, type SomaConfig, decoderWidth } from './config';
import { weightLayout } from './weights';

/**
 * The weights of `from` laid out for `to`, a config that differs at most in decoderInput, to a wider
 * input that starts with the old one: experts.mlp.w1 [K, M, D0] becomes [K, M, D1] with its first D0
 * columns copied and the rest zero.
 */
export function widenDecoderInput(from: SomaConfig, weights: Float32Array, to: SomaConfig): Float32Array {
  const { decoderInput: _a, ...restFrom } = from;
  const { decoderInput: _b, ...restTo } = to;
  if (JSON.stringify(restFrom) !== JSON.stringify(restTo)) throw new RangeError('only the decoder input may differ');
  if (DECODER_INPUTS.indexOf(from.decoderInput) > DECODER_INPUTS.indexOf(to.decoderInput)) throw new RangeError(`cannot carry a decoder that reads ${from.decoderInput} into one that reads ${to.decoderInput}`);
  const src = weightLayout(from), dst = weightLayout(to);
  const out = new Float32Array(dst.total);
  const d0 = decoderWidth(from), d1 = decoderWidth(to);
  for (const t of src.tensors) {
    const u = dst.byName.get(t.name)!;
    if (t.name !== 'experts.mlp.w1' || d0 === d1) {
      out.set(weights.subarray(t.offset, t.offset + t.size), u.offset);
      continue;
    }
    for (let row = 0; row < t.size / d0; row++) out.set(weights.subarray(t.offset + row * d0, t.offset + (row + 1) * d0), u.offset + row * d1);
  }
  return out;
}
