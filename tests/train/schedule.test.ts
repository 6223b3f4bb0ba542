// The SPSA step on a tiny model and text, with the plain TS kernels: it learns, and it is
// deterministic for a seed.
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { Shard } from '../../src/train/spsa';
import { type SpsaSettings, type SpsaState, phaseAt, spsaStep } from '../../src/train/schedule';

const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
const SETTINGS: SpsaSettings = { lr: 1e-2, eps: 1e-3, beta: 0.9, steps: 400, warmup: 10, sharedEvery: 4, headRounds: 2, unitRounds: 0, unitLr: 1e-2, rowRounds: 0, rowLr: 1e-2, l2Rounds: 0, l2Lr: 1e-2, balance: 2e-3, seed: 3 };
const TEXT = new TextEncoder().encode('the cat sat on the mat. '.repeat(40));

function shard(): Shard {
  const heap = new Float32Array(Shard.heapFloats(CFG, 4, 12));
  const s = new Shard(CFG, { kernels: jsKernels(heap), base: 0 }, initWeights(CFG, 1), TEXT, 4, 12, 1);
  return s;
}

async function run(steps: number, settings = SETTINGS) {
  const s = shard();
  const handle = { evaluate: async (...a: Parameters<Shard['evaluate']>) => s.evaluate(...a), apply: async (seed: number, phase: Parameters<Shard['apply']>[1], coef: Float64Array, beta: number, delta: Float64Array) => (s.apply(seed, phase, coef, beta), s.nudgeRouter(delta)) };
  const state: SpsaState = { step: 0, tokens: 0, v: [], n: [] };
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = await spsaStep(settings, state, [handle], CFG.experts);
    if (r.phase !== 'heads') losses.push(r.loss);
  }
  return { theta: s.theta, losses, state };
}

describe('SPSA step', () => {
  it('cycles trunk, shared and head steps', () => {
    expect([0, 1, 2, 3, 6, 9].map((s) => phaseAt(SETTINGS, s))).toEqual(['experts', 'heads', 'heads', 'experts', 'experts', 'shared']);
    const blocks = { ...SETTINGS, headRounds: 1, unitRounds: 1, rowRounds: 2 };
    expect([0, 1, 2, 3, 4, 5, 15].map((s) => phaseAt(blocks, s))).toEqual(['experts', 'heads', 'units', 'rows', 'rows', 'experts', 'shared']);
    const layer2 = { ...SETTINGS, headRounds: 0, unitRounds: 1, rowRounds: 1, l2Rounds: 2 };
    expect([0, 1, 2, 3, 4, 5, 15].map((s) => phaseAt(layer2, s))).toEqual(['experts', 'units', 'rows', 'l2units', 'l2units', 'experts', 'shared']);
  });

  it('block steps alone (no head steps) lower the loss, far below trunk steps alone in as many steps', async () => {
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const blocks = await run(300, { ...SETTINGS, headRounds: 0, unitRounds: 1, rowRounds: 2, unitLr: 3e-3, rowLr: 1e-2 });
    const trunk = await run(300, { ...SETTINGS, headRounds: 0, unitRounds: 0, rowRounds: 0 });
    expect(mean(blocks.losses.slice(-10))).toBeLessThan(mean(blocks.losses.slice(0, 10)) - 2);
    expect(mean(blocks.losses.slice(-10))).toBeLessThan(mean(trunk.losses.slice(-10)) - 1);
  });

  it('lowers the loss on a tiny fixed text', async () => {
    const { losses, state } = await run(300);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.3);
    expect(state.tokens).toBeGreaterThan(0);
  });

  it('is deterministic for the same seed', async () => {
    const a = await run(30), b = await run(30);
    expect(Buffer.from(a.theta.buffer).equals(Buffer.from(b.theta.buffer))).toBe(true);
  });
});
