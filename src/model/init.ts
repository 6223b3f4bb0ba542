// A seeded random initialisation: the weights of an untrained SOMA, each tensor by its rule in
// tensorSpecs (config.ts).
import type { InitRule, SomaConfig } from './config';
import { Rng } from './random';
import { weightLayout } from './weights';

/**
 * Uniform ±1/sqrt(fan_in) for matrices, the embedding at N(0, 1), forget-gate biases at +1
 * (so cells remember from the start), layer-norm gains at 1, every other bias at 0. Tensors are
 * drawn in table order from one stream.
 */
export function initWeights(c: SomaConfig, seed: number): Float32Array {
  const layout = weightLayout(c);
  const out = new Float32Array(layout.total);
  const rng = new Rng(seed);
  const valueOf = (rule: InitRule): ((i: number) => number) => {
    if (rule === 'normal') return () => rng.normal();
    if (rule === 'zeros') return () => 0;
    if (rule === 'ones') return () => 1;
    if ('uniform' in rule) return () => (2 * rng.uniform() - 1) / Math.sqrt(rule.uniform);
    // In a gate bias laid out [i; f; g; o] of n units each, the f block is n..2n.
    const n = rule.forgetBias;
    return (i) => (i % (4 * n) >= n && i % (4 * n) < 2 * n ? 1 : 0);
  };
  for (const t of layout.tensors) {
    const value = valueOf(t.init);
    for (let i = 0; i < t.size; i++) out[t.offset + i] = value(i);
  }
  return out;
}
