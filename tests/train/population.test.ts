// Population steps: the per-stream hook must equal an explicit perturbation of the weights, and the
// update must be the rank-P sum it claims.
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { type Model, resetState, stateLayout, step } from '../../src/model/forward';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { Population } from '../../src/train/population';

const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 8, mlpHidden: 12, bos: 10 };
const EPS = 1e-2;
const SITES: [string, string][] = [['experts.l1.w', 'experts.l1.b'], ['experts.l2.w', 'experts.l2.b'], ['experts.mlp.w1', 'experts.mlp.b1'], ['experts.mlp.w2', 'experts.mlp.b2']];

function model(weights: Float32Array, B: number) {
  const layout = weightLayout(CFG);
  const heap = new Float32Array(layout.total + stateLayout(CFG, B, 0).size);
  heap.set(weights);
  const m: Model = { config: CFG, kernels: jsKernels(heap), w: weightOffsets(layout) };
  const s = stateLayout(CFG, B, layout.total);
  resetState(heap, s);
  return { m, s, heap, layout };
}

/** Member p's vectors for (expert, site), read back from the population after prepare(). */
function vectors(pop: Population, site: string, p: number, e: number, out: number, cols: number) {
  const P = pop as unknown as { u: Map<string, Float32Array>; v: Map<string, Float32Array> };
  const u = P.u.get(site)!.subarray((p * CFG.experts + e) * out, (p * CFG.experts + e + 1) * out);
  const v = P.v.get(site)!.subarray((p * CFG.experts + e) * cols, (p * CFG.experts + e + 1) * cols);
  return { u, v };
}

describe('population steps', () => {
  it("a stream's hook perturbation equals running it on W ± ε·u vᵀ, b ± ε·u", () => {
    const weights = initWeights(CFG, 4);
    const hooked = model(weights, 4); // 2 members: streams (0, 1) and (2, 3)
    const pop = new Population(CFG, hooked.layout, hooked.heap, 2, 0);
    pop.prepare(77, EPS);
    hooked.m.perturb = pop.hook;
    // Explicit copies for member 1, + (stream 2) and − (stream 3).
    const explicit = [1, -1].map((sign) => {
      const w = weights.slice();
      for (const [wi, bi] of SITES) {
        const W = hooked.layout.byName.get(wi)!, b = hooked.layout.byName.get(bi)!;
        const [, out, cols] = W.shape;
        const site = { 'experts.l1.w': 'l1', 'experts.l2.w': 'l2', 'experts.mlp.w1': 'w1', 'experts.mlp.w2': 'w2' }[wi]!;
        for (let e = 0; e < CFG.experts; e++) {
          const { u, v } = vectors(pop, site, 1, e, out, cols);
          for (let r = 0; r < out; r++) {
            w[b.offset + e * out + r] += sign * EPS * u[r];
            for (let c = 0; c < cols; c++) w[W.offset + (e * out + r) * cols + c] += sign * EPS * u[r] * v[c];
          }
        }
      }
      return model(w, 1);
    });
    const text = 'The perturbation rides along with the stream.';
    const win4 = new Int32Array(4), win1 = new Int32Array(1);
    let maxDiff = 0;
    for (const ch of text) {
      const b = ch.charCodeAt(0);
      step(hooked.m, hooked.s, [b, b, b, b], win4);
      explicit.forEach((x, k) => {
        step(x.m, x.s, [b], win1);
        expect(win4[2 + k]).toBe(win1[0]);
        for (let i = 0; i < 256; i++) maxDiff = Math.max(maxDiff, Math.abs(hooked.heap[hooked.s.logits + (2 + k) * 256 + i] - x.heap[x.s.logits + i]));
      });
    }
    expect(maxDiff).toBeLessThan(1e-4);
    expect(maxDiff).toBeGreaterThan(0); // fp32 rounding differs between the two routes, the math does not
  });

  it('the update is θ −= Σ coef·[u vᵀ, u] (β = 0), and every shard computes the same one', () => {
    const weights = initWeights(CFG, 5);
    const a = model(weights, 4), b = model(weights, 2);
    const popA = new Population(CFG, a.layout, a.heap, 2, 0); // members 0, 1
    const popB = new Population(CFG, b.layout, b.heap, 1, 2); // member 2, in another shard
    const coef = Float64Array.from({ length: 3 * CFG.experts }, (_, i) => (i % 2 ? 1e-3 : -2e-3));
    const thetaA = weights.slice(), thetaB = weights.slice();
    popA.update(9, coef, 3, thetaA, new Float32Array(weights.length), 0);
    popB.update(9, coef, 3, thetaB, new Float32Array(weights.length), 0);
    expect(Buffer.from(thetaA.buffer).equals(Buffer.from(thetaB.buffer))).toBe(true);
    // Check one entry by hand: expert 1, site l2, row 3, column 5.
    popA.prepare(9, EPS);
    popB.prepare(9, EPS);
    const W = a.layout.byName.get('experts.l2.w')!;
    const [, out, cols] = W.shape;
    let expected = weights[W.offset + (1 * out + 3) * cols + 5];
    for (let g = 0; g < 3; g++) {
      const { u, v } = g < 2 ? vectors(popA, 'l2', g, 1, out, cols) : vectors(popB, 'l2', 0, 1, out, cols);
      expected -= coef[g * CFG.experts + 1] * u[3] * v[5];
    }
    expect(thetaA[W.offset + (1 * out + 3) * cols + 5]).toBeCloseTo(expected, 6);
  });
});
