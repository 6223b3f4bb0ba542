// One flat Float32Array holds every weight; tensors are named views into it, by offset.
import { type SomaConfig, type TensorKey, type TensorSpec, numel, tensorSpecs } from './config';

/** Offsets are in floats and aligned to 4 (16 bytes) so SIMD loads of a row start aligned. */
const ALIGN = 4;

export interface TensorSlot extends TensorSpec {
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
    tensors.push({ ...t, offset, size });
    offset += Math.ceil(size / ALIGN) * ALIGN;
  }
  return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), total: offset };
}

/**
 * Where each tensor starts in a heap whose weights start at `base` (in floats), by the key
 * forward.ts reads it by. Shapes: embed [V, E]; routerW [4R, E+R]; routerB [4R]; headW [K, R];
 * headB [K]; l1W [K, 4H, E+H]; l1B [K, 4H]; ln1G, ln1B [K, H]; l2W [K, 4H, 2H] (layer2Recurrence
 * 'unit': [K, 4H, H], and l2R [K, 4H]); l2B [K, 4H]; ln2G, ln2B [K, H]; mlpW1 [K, M, D]; mlpB1 [K, M];
 * mlpW2 [K, V, M]; mlpB2 [K, V].
 */
export type WeightOffsets = Record<Exclude<TensorKey, 'l2R'>, number> & { l2R?: number };

export function weightOffsets(layout: WeightLayout, base = 0): WeightOffsets {
  return Object.fromEntries(layout.tensors.map((t) => [t.key, base + t.offset])) as WeightOffsets;
}
