// One flat Float32Array holds every weight; tensors are named views into it, by offset.
import { type SomaConfig, tensorSpecs, numel } from './config';

/** Offsets are in floats and aligned to 4 (16 bytes) so SIMD loads of a row start aligned. */
const ALIGN = 4;

export interface TensorSlot {
  name: string;
  shape: number[];
  offset: number; // in floats, from the start of the weight array
  size: number; // in floats
}

export interface WeightLayout {
  tensors: TensorSlot[];
  byName: Map<string, TensorSlot>;
  total: number; // floats in the whole array, padding included
}

export function weightLayout(c: SomaConfig): WeightLayout {
  const tensors: TensorSlot[] = [];
  let offset = 0;
  for (const t of tensorSpecs(c)) {
    const size = numel(t.shape);
    tensors.push({ name: t.name, shape: t.shape, offset, size });
    offset += Math.ceil(size / ALIGN) * ALIGN;
  }
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), total: offset };
}

/** Offsets of every tensor, shifted by `base` (where the weights start in a larger heap). */
export interface WeightOffsets {
  embed: number; // [V, E]
  routerW: number; // [4R, E+R]
  routerB: number; // [4R]
  headW: number; // [K, R]
  headB: number; // [K]
  l1W: number; // [K, 4H, E+H]
  l1B: number; // [K, 4H]
  ln1G: number; // [K, H]
  ln1B: number; // [K, H]
  l2W: number; // [K, 4H, 2H]
  l2B: number; // [K, 4H]
  ln2G: number; // [K, H]
  ln2B: number; // [K, H]
  mlpW1: number; // [K, M, D]
  mlpB1: number; // [K, M]
  mlpW2: number; // [K, V, M]
  mlpB2: number; // [K, V]
}

export function weightOffsets(layout: WeightLayout, base = 0): WeightOffsets {
  const at = (name: string) => {
    const t = layout.byName.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return base + t.offset;
  };
  return {
    embed: at('embed'),
    routerW: at('router.w'),
    routerB: at('router.b'),
    headW: at('router.head.w'),
    headB: at('router.head.b'),
    l1W: at('experts.l1.w'),
    l1B: at('experts.l1.b'),
    ln1G: at('experts.ln1.g'),
    ln1B: at('experts.ln1.b'),
    l2W: at('experts.l2.w'),
    l2B: at('experts.l2.b'),
    ln2G: at('experts.ln2.g'),
    ln2B: at('experts.ln2.b'),
    mlpW1: at('experts.mlp.w1'),
    mlpB1: at('experts.mlp.b1'),
    mlpW2: at('experts.mlp.w2'),
    mlpB2: at('experts.mlp.b2'),
  };
}
