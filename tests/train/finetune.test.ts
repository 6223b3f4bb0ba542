// The fine-tune loop the app's "Teach it" and `soma tune` share, on a tiny model and text with the
// plain TS kernels: the held-out part's nats/char goes down, and a seed gives the same weights.
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { readSoma, writeSoma } from '../../src/model/format';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { Session } from '../../src/engine/session';
import { FineTune, fineTuneTextError, splitText } from '../../src/train/finetune';
import { FINETUNE_DEFAULTS } from '../../src/train/settings';
import { UNTRAINED } from '../helpers';

const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
const TEXT = new TextEncoder().encode('the cat sat on the mat. '.repeat(40));
const SETTINGS = { ...FINETUNE_DEFAULTS, lr: 1e-2, batch: 4, window: 12, seed: 3 };

async function fineTune(settings = SETTINGS): Promise<FineTune> {
  const file = await readSoma(await writeSoma(CFG, initWeights(CFG, 1), UNTRAINED));
  const kernels = jsKernels(new Float32Array(FineTune.shardFloats(CFG, settings)));
  return new FineTune(CFG, file.weights, TEXT, { kernels, base: 0 }, await Session.create(file, 'js'), settings);
}

describe('fine-tune', () => {
  it('holds out the last 10% and refuses texts too small or too large', () => {
    const { train, held } = splitText(TEXT);
    expect([train.length, held.length]).toEqual([864, 96]);
    expect(fineTuneTextError(10)).toMatch(/at least/);
    expect(fineTuneTextError(1e7)).toMatch(/at most/);
    expect(fineTuneTextError(TEXT.length)).toBeNull();
  });

  it('lowers the held-out nats/char on a tiny fixed text', async () => {
    const ft = await fineTune();
    const before = ft.progress.before;
    for (let i = 0; i < 300; i++) await ft.step();
    expect(ft.heldOut()).toBeLessThan(before - 0.5);
    expect(ft.progress.tokens).toBeGreaterThan(0);
  });

  it('is deterministic for the same seed, and another seed gives other weights', async () => {
    const run = async (seed: number) => {
      const ft = await fineTune({ ...SETTINGS, seed });
      for (let i = 0; i < 30; i++) await ft.step();
      return Buffer.from(ft.theta.slice().buffer);
    };
    const a = await run(3);
    expect(a.equals(await run(3))).toBe(true);
    expect(a.equals(await run(4))).toBe(false);
  });

  it('runs to a budget or a pause, and its provenance says what it did', async () => {
    const ft = await fineTune();
    const seen: number[] = [];
    expect(await ft.run({ budgetMs: 150, sliceMs: 20, evalEveryMs: 50, onProgress: (p) => seen.push(p.now) })).toBe('budget');
    expect(seen.length).toBeGreaterThan(1);
    let calls = 0;
    expect(await ft.run({ shouldStop: () => ++calls > 2, sliceMs: 5 })).toBe('stopped');
    const p = ft.provenance(UNTRAINED, 'in a test');
    expect(p.method).toContain(`on ${TEXT.length} bytes of user text`);
    expect(p.steps).toBe(ft.progress.step);
    expect(p.valNatsPerChar).toEqual({ 'held-out before': Number(ft.progress.before.toFixed(4)), 'held-out after': Number(ft.progress.now.toFixed(4)) });
  });
});
