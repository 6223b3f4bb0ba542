// Block steps (rows and units of the decoders): the loss differences they compute from one pass at θ
// must equal those of explicitly perturbed weights, and their update must move each block along its
// own z and nothing else.
import { describe, expect, it } from 'vitest';
import { type SomaConfig, decoderWidth } from '../../src/model/config';
import { type BlockPhase, Shard, type SoftTargets } from '../../src/train/spsa';
import { shardFixtures } from './shard-fixtures';

// The wide decoder input: unit steps then cover LN2(h2), LN1(h1) and the embedding's columns.
const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 8, mlpHidden: 12, decoderInput: 'h2+h1+x', bos: 10, layer2Recurrence: 'full' };
const TEXT = new TextEncoder().encode('Block steps perturb one row at a time; the rest stay at theta. '.repeat(8));
const B = 4, T = 10, SEED = 7;
const { engines, soft, cases, weights } = shardFixtures(CFG, TEXT, B, T);

describe.each(cases)('block steps (%s)', (_name, engine, targets) => {
  const shard = (theta: Float32Array) => new Shard(CFG, engine(), theta, TEXT, B, T, 5, targets);

  it.each([
    ['rows', CFG.vocab, CFG.mlpHidden, [[0, 32], [1, 32], [2, 32], [0, 116], [1, 101], [2, 116], [1, 255]]],
    ['units', CFG.mlpHidden, decoderWidth(CFG), [[0, 0], [0, 5], [1, 3], [1, 11], [2, 7]]],
  ] as [BlockPhase, number, number, number[][]][])("%s: each block's loss difference is that of the model with the block moved by ±εz", (phase, N, C, picks) => {
    const theta = weights();
    const eps = 0.05; // large, so the loss is far from linear in ε and a shortcut would show
    const got = shard(theta).evaluate(SEED, phase, eps);
    expect(got.blocks!.length).toBe(CFG.experts * N);
    // z of block j of expert e, read back through apply: with β = 0 and coef 1 there, θ' = θ − z.
    const zOf = (e: number, j: number) => {
      const s = shard(theta);
      const coef = new Float64Array(CFG.experts * N);
      coef[e * N + j] = 1;
      s.apply(SEED, phase, coef, 0);
      const moved = theta.map((x, i) => x - s.theta[i]);
      expect(moved.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0)).toBe(C + 1); // the row and its bias, nothing else
      return moved;
    };
    for (const [e, j] of picks) {
      expect(got.count[e]).toBeGreaterThan(0);
      const z = zOf(e, j);
      const lossAt = (sign: number) => shard(theta.map((x, i) => x + sign * eps * z[i])).evaluate(1, 'heads', 0).plus[e];
      const explicit = lossAt(1) - lossAt(-1);
      expect(Math.abs(explicit)).toBeGreaterThan(1e-5);
      expect(Math.abs(got.blocks![e * N + j] - explicit)).toBeLessThan(2e-4 * Math.abs(explicit) + 2e-6);
    }
    // The loss at θ is reported as both ± losses, and the window was read once.
    const atTheta = shard(theta).evaluate(1, 'heads', 0);
    for (let e = 0; e < CFG.experts; e++) {
      expect(got.plus[e]).toBeCloseTo(atTheta.plus[e], 4);
      expect(got.minus[e]).toBe(got.plus[e]);
    }
    expect(got.consumed).toBe(B * T);
  });

  it('a second block step on the same window reads no new bytes and follows the moved blocks', () => {
    const s = shard(weights());
    const first = s.evaluate(SEED, 'rows', 1e-3);
    s.apply(SEED, 'rows', first.blocks!.map((d) => 0.05 * Math.sign(d)), 0); // downhill along every row
    const second = s.evaluate(SEED + 1, 'units', 1e-3);
    expect(second.consumed).toBe(0);
    const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
    expect(sum(second.plus)).toBeLessThan(sum(first.plus));
  });
});

describe.each(engines)('soft targets (%s)', (_name, engine) => {
  it('one-hot soft targets give the hard loss; a teacher moves it, in trunk and block steps alike', () => {
    const theta = weights();
    const oneHot: SoftTargets = (positions, window, out) => {
      out.fill(0);
      for (let t = 0; t < window; t++) positions.forEach((p, j) => (out[(t * positions.length + j) * 256 + TEXT[(p + t + 1) % TEXT.length]] = 1));
    };
    for (const phase of ['experts', 'rows'] as const) {
      const run = (t?: SoftTargets) => new Shard(CFG, engine(), theta, TEXT, B, T, 5, t).evaluate(SEED, phase, 1e-2);
      const hard = run(), same = run(oneHot), taught = run(soft);
      for (let e = 0; e < CFG.experts; e++) {
        expect(same.plus[e]).toBeCloseTo(hard.plus[e], 4);
        expect(same.minus[e]).toBeCloseTo(hard.minus[e], 4);
        if (hard.count[e] > 0) expect(Math.abs(taught.plus[e] - hard.plus[e])).toBeGreaterThan(1e-2);
      }
      if (phase === 'rows') for (let k = 0; k < hard.blocks!.length; k++) expect(same.blocks![k]).toBeCloseTo(hard.blocks![k], 6);
    }
  });
});
