// A seeded random initialisation: the weights of an untrained SOMA.
import { type SomaConfig, decoderWidth } from './config';
import { Rng } from './random';
import { weightLayout } from './weights';

/**
 * Uniform ±1/sqrt(fan_in) for matrices, the embedding at N(0, 1), forget-gate biases at +1
 * (so cells remember from the start), layer-norm gains at 1, every other bias at 0.
 */
export function initWeights(c: SomaConfig, seed: number): Float32Array {
  const layout = weightLayout(c);
  const out = new Float32Array(layout.total);
  const rng = new Rng(seed);
  const fill = (name: string, fn: (i: number) => number) => {
    const t = layout.byName.get(name)!;
    for (let i = 0; i < t.size; i++) out[t.offset + i] = fn(i);
  };
  const uniform = (fanIn: number) => () => (2 * rng.uniform() - 1) / Math.sqrt(fanIn);
  const { embed: E, routerHidden: R, expertHidden: H, mlpHidden: M } = c;
  // In a gate bias laid out [i; f; g; o] of n units each, the f block is n..2n.
  const forgetBias = (n: number) => (i: number) => (i % (4 * n) >= n && i % (4 * n) < 2 * n ? 1 : 0);

  fill('embed', () => rng.normal());
  fill('router.w', uniform(E + R));
  fill('router.b', forgetBias(R));
  fill('router.head.w', uniform(R));
  fill('router.head.b', () => 0);
  fill('experts.l1.w', uniform(E + H));
  fill('experts.l1.b', forgetBias(H));
  fill('experts.ln1.g', () => 1);
  fill('experts.ln1.b', () => 0);
  fill('experts.l2.w', uniform(2 * H));
  fill('experts.l2.b', forgetBias(H));
  fill('experts.ln2.g', () => 1);
  fill('experts.ln2.b', () => 0);
  fill('experts.mlp.w1', uniform(decoderWidth(c)));
  fill('experts.mlp.b1', () => 0);
  fill('experts.mlp.w2', uniform(M));
  fill('experts.mlp.b2', () => 0);
  return out;
}
