// Layer-2 unit steps (a layer 2 with the element-wise recurrence): the loss differences they compute
// from one cached pass at θ must equal those of a model whose weights were explicitly moved, block by
// block, over a whole window that starts from a carried state; their update must move each block
// along its own z and nothing else.
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout } from '../../src/model/weights';
import { Shard } from '../../src/train/spsa';
import { shardFixtures } from './shard-fixtures';

const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 8, mlpHidden: 12, decoderInput: 'h2+h1+x', bos: 10, layer2Recurrence: 'unit' };
const H = CFG.expertHidden;
const TEXT = new TextEncoder().encode('Each unit of layer two reads its own state; the rest stay at theta. '.repeat(8));
const B = 4, T = 10, SEED = 7;
const { cases, weights } = shardFixtures(CFG, TEXT, B, T);

describe.each(cases)('layer-2 unit steps (%s)', (_name, engine, targets) => {
  /** A shard one window into the text, read at θ: the cached window then starts from a carried state. */
  const shard = (theta: Float32Array, perRound = H) => {
    const s = new Shard(CFG, engine(), theta, TEXT, B, T, 5, targets, perRound);
    s.evaluate(1, 'experts', 0);
    return s;
  };

  it.each([H, 3])("every block's loss difference is that of the model with the block moved by ±εz (%i units of each expert per round)", (U) => {
    const theta = weights();
    const eps = 0.05; // large, so the loss is far from linear in ε and a shortcut would show
    const got = shard(theta, U).evaluate(SEED, 'l2units', eps);
    expect(got.blocks!.length).toBe(CFG.experts * U);
    expect(got.consumed).toBe(B * T);
    // z of the round's block j of expert e, read back through apply: with β = 0 and coef 1 there, θ' = θ − z.
    const units = new Set<number>();
    const zOf = (e: number, j: number) => {
      const s = shard(theta, U);
      const coef = new Float64Array(CFG.experts * U);
      coef[e * U + j] = 1;
      s.apply(SEED, 'l2units', coef, 0);
      const moved = theta.map((x, i) => x - s.theta[i]);
      expect(moved.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0)).toBe(4 * H + 8); // four gate rows, four r, four b
      const w = weightLayout(CFG).byName.get('experts.l2.w')!;
      units.add(moved.findIndex((x, i) => x !== 0 && i >= w.offset)); // the block's first weight in W
      return moved;
    };
    // The native cells and norms compute in fp32, so each of the explicit ± losses (sums of a dozen
    // rows of about 5 nats) carries about 1e-6 of rounding; TypeScript's are float64 stored to fp32.
    const floor = _name.startsWith('native') ? 1e-5 : 2e-6;
    let checked = 0;
    for (let e = 0; e < CFG.experts; e++) {
      if (got.count[e] === 0) continue;
      for (let j = 0; j < U; j++) {
        const z = zOf(e, j);
        const lossAt = (sign: number) => {
          const s = shard(theta);
          s.theta.set(theta.map((x, i) => x + sign * eps * z[i])); // the window before was read at θ
          return s.evaluate(1, 'heads', 0).plus[e];
        };
        const explicit = lossAt(1) - lossAt(-1);
        expect(Math.abs(got.blocks![e * U + j] - explicit)).toBeLessThan(2e-4 * Math.abs(explicit) + floor);
        if (Math.abs(explicit) > 1e-4) checked++;
      }
    }
    expect(checked).toBeGreaterThan(CFG.experts * U * 0.5); // most blocks had a difference worth checking
    expect(units.size).toBe(U * CFG.experts); // every block its own weights
    // The loss at θ is reported as both ± losses.
    const atTheta = shard(theta).evaluate(1, 'heads', 0);
    for (let e = 0; e < CFG.experts; e++) {
      expect(got.plus[e]).toBeCloseTo(atTheta.plus[e], 4);
      expect(got.minus[e]).toBe(got.plus[e]);
    }
  });

  it('a layer-2 unit step after the decoder steps uses their window; its update goes downhill and moves the features, so the next one reads a new window', () => {
    const theta = weights();
    const s = shard(theta);
    expect(s.evaluate(SEED, 'rows', 1e-3).consumed).toBe(B * T);
    s.apply(SEED, 'rows', new Float64Array(CFG.experts * CFG.vocab), 0); // no move: the cache stays
    const first = s.evaluate(SEED + 1, 'l2units', 1e-3);
    expect(first.blocks!.length).toBe(CFG.experts * H);
    expect(first.consumed).toBe(0);
    s.apply(SEED + 1, 'l2units', first.blocks!.map((d) => 0.01 * Math.sign(d)), 0); // downhill along every block
    const second = s.evaluate(SEED + 2, 'l2units', 1e-3);
    expect(second.consumed).toBe(B * T);
    // On the window the step was estimated on, the moved weights score better.
    const total = (w: Float32Array) => shard(w).evaluate(1, 'heads', 0).plus.reduce((a, b) => a + b, 0);
    expect(total(s.theta)).toBeLessThan(total(theta) - 1e-3);
  });
});

describe('layer-2 unit steps on a layer 2 with the full recurrence', () => {
  it('are refused', () => {
    const full: SomaConfig = { ...CFG, layer2Recurrence: 'full' };
    const s = new Shard(full, { kernels: jsKernels(new Float32Array(Shard.heapFloats(full, B, T))), base: 0 }, initWeights(full, 1), TEXT, B, T, 5);
    expect(() => s.evaluate(SEED, 'l2units', 1e-3)).toThrow(/element-wise recurrence/);
  });
});
