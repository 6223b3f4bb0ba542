// `soma average`: the element-wise mean of several runs' weights, with provenance that says so.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { readSoma, writeSoma } from '../../src/model/format';
import { initWeights } from '../../src/model/init';
import { average } from '../../src/cli/average';

const TINY: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
const trained = (steps: number) => ({ trained: true, method: 'SPSA, forward passes only.', steps, tokens: steps * 64, corpus: 'test', valNatsPerChar: { sotu: 2 } });

describe('soma average', () => {
  it('writes the mean of the weights, says it is no SPSA step, and names its inputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soma-average-'));
    const [a, b] = [initWeights(TINY, 1), initWeights(TINY, 2)];
    writeFileSync(join(dir, 'a.bin'), await writeSoma(TINY, a, trained(10)));
    writeFileSync(join(dir, 'b.bin'), await writeSoma(TINY, b, trained(30)));
    await average([join(dir, 'a.bin'), join(dir, 'b.bin'), '--out', join(dir, 'mean.bin')]);
    const mean = await readSoma(readFileSync(join(dir, 'mean.bin')));
    for (let i = 0; i < a.length; i++) expect(mean.weights[i]).toBe(Math.fround((a[i] + b[i]) / 2));
    expect(mean.provenance.method).toBe('SPSA, forward passes only. Then the mean of the weights of 2 such runs (not SPSA: a weight-space average, no gradient).');
    expect([mean.provenance.steps, mean.provenance.tokens, mean.provenance.valNatsPerChar]).toEqual([30, 30 * 64, null]);
    expect(mean.provenance.notes).toMatch(/10 steps.*30 steps/);

    writeFileSync(join(dir, 'other.bin'), await writeSoma({ ...TINY, mlpHidden: 4 }, initWeights({ ...TINY, mlpHidden: 4 }, 1), trained(1)));
    await expect(average([join(dir, 'a.bin'), join(dir, 'other.bin'), '--out', join(dir, 'x.bin')])).rejects.toThrow(/another config/);
    await expect(average([join(dir, 'a.bin'), '--out', join(dir, 'x.bin')])).rejects.toThrow(/two or more/);
    await expect(average([join(dir, 'a.bin'), join(dir, 'b.bin')])).rejects.toThrow(/--out/);
  });
});
