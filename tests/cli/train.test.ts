// The trainer end to end on a tiny run: files, provenance, and an exact resume.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSoma } from '../../src/model/format';
import { weightLayout } from '../../src/model/weights';
import { FINETUNE_DEFAULTS, SETTINGS, flagOf } from '../../src/train/settings';
import { train } from '../../src/cli/train';

// Every kind of step: a cycle is a trunk step, 2 head steps, a unit step and a row step.
const TINY = ['--batch', '4', '--window', '16', '--head-rounds', '2', '--unit-rounds', '1', '--row-rounds', '1', '--steps', '12', '--val-bytes', '512', '--quiet'];

function corpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'soma-train-'));
  for (const f of ['train.txt', 'val-sotu.txt', 'val-brown.txt']) cpSync(new URL('../fixtures/sotu-excerpt.txt', import.meta.url), join(dir, f));
  return dir;
}

const weights = async (dir: string) => (await readSoma(readFileSync(join(dir, 'soma.bin')))).weights;

describe('soma train', () => {
  it('writes checkpoints, a log and a curve, with provenance in the weights', async () => {
    const data = corpus();
    const out = join(data, 'run');
    await train(['--data', data, '--out', out, ...TINY]);
    for (const f of ['soma.bin', 'best.bin', 'state.bin', 'log.csv', 'curve.svg']) expect(existsSync(join(out, f))).toBe(true);
    const f = await readSoma(readFileSync(join(out, 'soma.bin')));
    expect(f.provenance.trained).toBe(true);
    expect(f.provenance.method).toMatch(/SPSA/);
    expect(f.provenance.steps).toBe(12);
    expect(f.provenance.corpus).toMatch(/^train\.txt of \d+ bytes, SHA-256 [0-9a-f]{16}/); // no manifest beside this text
    expect(f.provenance.valNatsPerChar!.sotu).toBeGreaterThan(0);
    const log = readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n');
    expect(log[0]).toMatch(/^step,tokens,wall_s/);
    expect(log.length).toBeGreaterThanOrEqual(3); // header, step 0, the end
    expect(readFileSync(join(out, 'curve.svg'), 'utf8')).toMatch(/<svg/);
    // The time-lapse's first snapshot: the starting weights, in fp16 (the next comes at 1M bytes).
    expect(readdirSync(join(out, 'snapshots'))).toEqual(['000000000000.bin']);
    const first = await readSoma(readFileSync(join(out, 'snapshots', '000000000000.bin')));
    expect(first.header.tensors.every((t) => t.dtype === 'f16')).toBe(true);
    expect(first.provenance.tokens).toBe(0);
  });

  it.each([1, 2])('a run stopped and resumed ends with the same weights as an unbroken run (%i thread)', async (threads) => {
    const data = corpus();
    const args = [...TINY, '--threads', String(threads)];
    await train(['--data', data, '--out', join(data, 'straight'), ...args]);
    await train(['--data', data, '--out', join(data, 'broken'), ...args, '--stop-at', '6']);
    const half = await weights(join(data, 'broken'));
    await train(['--data', data, '--out', join(data, 'broken'), '--resume', '--quiet']);
    const straight = await weights(join(data, 'straight'));
    const resumed = await weights(join(data, 'broken'));
    expect(Buffer.from(half.buffer).equals(Buffer.from(straight.buffer))).toBe(false); // it did stop early
    expect(Buffer.from(resumed.buffer).equals(Buffer.from(straight.buffer))).toBe(true);
  });

  it('--init continues from trained weights: it starts where they are, counts their steps and tokens, and refuses --resume beside it', async () => {
    const data = corpus();
    await train(['--data', data, '--out', join(data, 'first'), ...TINY]);
    const first = await readSoma(readFileSync(join(data, 'first', 'soma.bin')));
    await train(['--data', data, '--out', join(data, 'second'), ...TINY, '--init', join(data, 'first', 'soma.bin'), '--seed', '7', '--stop-at', '5']);
    const second = await readSoma(readFileSync(join(data, 'second', 'soma.bin')));
    expect(second.provenance.steps).toBe(first.provenance.steps + 5);
    expect(second.provenance.tokens).toBeGreaterThan(first.provenance.tokens);
    expect(second.provenance.notes).toMatch(new RegExp(`Continued from weights ${first.sha256.slice(0, 12)}`));
    // One cycle (5 steps) from the first run's weights stay close to them; a fresh seed-7 init would be far off.
    let far = 0;
    for (let i = 0; i < first.weights.length; i++) far = Math.max(far, Math.abs(second.weights[i] - first.weights[i]));
    expect(far).toBeGreaterThan(0);
    expect(far).toBeLessThan(0.05);
    await expect(train(['--data', data, '--out', join(data, 'second'), '--resume', '--init', join(data, 'first', 'soma.bin'), '--quiet'])).rejects.toThrow(/--init/);
  });

  it('--init with a wider --decoder-input, or --resume with more --mlp-hidden, goes on from the same model: new columns at zero, the same held-out score at step 0', async () => {
    const data = corpus();
    await train(['--data', data, '--out', join(data, 'narrow'), ...TINY, '--decoder-input', 'h2']);
    const narrow = await readSoma(readFileSync(join(data, 'narrow', 'soma.bin')));
    expect(narrow.config.decoderInput).toBe('h2');
    await train(['--data', data, '--out', join(data, 'wide'), ...TINY, '--init', join(data, 'narrow', 'soma.bin'), '--decoder-input', 'h2+h1+x', '--stop-at', '5']);
    const wide = await readSoma(readFileSync(join(data, 'wide', 'soma.bin')));
    expect(wide.config.decoderInput).toBe('h2+h1+x');
    const w1 = weightLayout(wide.config).byName.get('experts.mlp.w1')!;
    expect(w1.shape).toEqual([16, 128, 96]);
    expect(wide.provenance.method).toMatch(/widened the decoder's input from h2 to h2\+h1\+x/);
    expect(wide.provenance.method).toContain(`The ${narrow.provenance.steps} steps before it: ${narrow.provenance.method}`);
    const lastVal = (dir: string, row: number) => readFileSync(join(data, dir, 'log.csv'), 'utf8').trim().split('\n').at(row)!.split(',').slice(5, 7);
    expect(lastVal('wide', 1)).toEqual(lastVal('narrow', -1)); // step 0 of the wide run is the narrow model
    // It resumes as a wide run, and refuses to change its shape on --resume.
    await expect(train(['--data', data, '--out', join(data, 'wide'), '--resume', '--decoder-input', 'h2', '--quiet'])).rejects.toThrow(/--decoder-input/);
    await train(['--data', data, '--out', join(data, 'wide'), '--resume', '--stop-at', '10', '--quiet']);
    expect((await readSoma(readFileSync(join(data, 'wide', 'soma.bin')))).provenance.steps).toBe(narrow.provenance.steps + 10);
    // A branch with more decoder units goes on from the same model, its momentum widened, and says when it widened.
    await expect(train(['--data', data, '--out', join(data, 'wide'), '--resume', '--mlp-hidden', '64', '--quiet'])).rejects.toThrow(/only widen the run's decoders: cannot carry a decoder of 128 hidden units/);
    await train(['--data', data, '--out', join(data, 'wide'), '--resume', '--mlp-hidden', '136', '--stop-at', '12', '--quiet']);
    const deeper = await readSoma(readFileSync(join(data, 'wide', 'soma.bin')));
    expect(deeper.config.mlpHidden).toBe(136);
    expect(deeper.provenance.method).toMatch(/At step 10 this run widened its decoders from h2\+h1\+x \(D 96\), M 128 to h2\+h1\+x \(D 96\), M 136/);
    expect(deeper.provenance.steps).toBe(narrow.provenance.steps + 12);
    await expect(train(['--data', data, '--out', join(data, 'x'), ...TINY, '--decoder-input', 'h3'])).rejects.toThrow(/--decoder-input must be one of/);
  });

  it('--layer2-recurrence unit with layer-2 unit steps: the weights say so, a stopped run resumes exactly, and the shape cannot change on --resume', async () => {
    const data = corpus();
    // A cycle: a trunk step, 2 head, a unit, a row and 2 layer-2 unit steps; 14 steps are two cycles.
    const args = ['--batch', '4', '--window', '16', '--head-rounds', '2', '--unit-rounds', '1', '--row-rounds', '1', '--l2-rounds', '2', '--steps', '14', '--val-bytes', '512', '--quiet', '--layer2-recurrence', 'unit'];
    await train(['--data', data, '--out', join(data, 'straight'), ...args]);
    await train(['--data', data, '--out', join(data, 'broken'), ...args, '--stop-at', '7']);
    const half = await weights(join(data, 'broken'));
    await train(['--data', data, '--out', join(data, 'broken'), '--resume', '--quiet']);
    const straight = await weights(join(data, 'straight'));
    expect(Buffer.from(half.buffer).equals(Buffer.from(straight.buffer))).toBe(false);
    expect(Buffer.from((await weights(join(data, 'broken'))).buffer).equals(Buffer.from(straight.buffer))).toBe(true);
    const f = await readSoma(readFileSync(join(data, 'straight', 'soma.bin')));
    expect(f.config.layer2Recurrence).toBe('unit');
    expect(f.provenance.method).toMatch(/2 layer-2 unit steps/);
    expect(f.provenance.method).toMatch(/element-wise recurrence/);
    await expect(train(['--data', data, '--out', join(data, 'broken'), '--resume', '--quiet', '--layer2-recurrence', 'full'])).rejects.toThrow(/cannot change on --resume/);
    await expect(train(['--data', data, '--out', join(data, 'full'), ...TINY, '--l2-rounds', '1'])).rejects.toThrow(/element-wise recurrence/);
    await expect(train(['--data', data, '--out', join(data, 'full'), ...TINY, '--layer2-recurrence', 'diagonal'])).rejects.toThrow(/must be one of full, unit/);
  });

  it('without state.bin, --resume continues from run.json and soma.bin: the same schedule and step sizes, fresh momentum and streams', async () => {
    const data = corpus();
    const out = join(data, 'run');
    await train(['--data', data, '--out', out, ...TINY, '--stop-at', '5']);
    const kept = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(kept.step).toBe(5);
    expect(kept.v.length).toBeGreaterThan(0); // the normaliser's statistics
    rmSync(join(out, 'state.bin'));
    await train(['--data', data, '--out', out, '--resume', '--stop-at', '10', '--quiet']);
    const after = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(after.step).toBe(10);
    expect(after.n[kept.n.findIndex((x: number) => x > 0)]).toBeGreaterThan(kept.n.find((x: number) => x > 0)); // the same statistics, observed further
    expect((await readSoma(readFileSync(join(out, 'soma.bin')))).provenance.steps).toBe(10);
    rmSync(join(out, 'state.bin'));
    rmSync(join(out, 'run.json'));
    await expect(train(['--data', data, '--out', out, '--resume', '--quiet'])).rejects.toThrow(/no .*state\.bin, nor .*run\.json/);
  });

  it('a resume on another text, with a teacher, says both in the provenance, with the steps they started at', async () => {
    const data = corpus();
    const out = join(data, 'run');
    await train(['--data', data, '--out', out, ...TINY, '--stop-at', '4']);
    const first = (await readSoma(readFileSync(join(out, 'soma.bin')))).provenance;
    expect(first.method).not.toMatch(/Soft targets/);
    const at = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).step; // runs stop between cycles: at 4 or just after
    const other = corpus();
    writeFileSync(join(other, 'train.txt'), readFileSync(join(data, 'train.txt'), 'utf8').repeat(24)); // long enough for two 256 KiB folds
    await train(['--data', other, '--out', out, '--resume', '--stop-at', '8', '--teacher-weight', '0.9', '--quiet']);
    const p = (await readSoma(readFileSync(join(out, 'soma.bin')))).provenance;
    expect(p.corpus).toMatch(new RegExp(`^from step 0: train\\.txt of 12722 bytes.*; from step ${at}: train\\.txt of 305328 bytes`));
    expect(p.softTargets).toEqual({ teacher: 'a byte 5-gram Kneser-Ney model, cross-fitted over 2 folds', weight: 0.9, fromStep: at });
    expect(first.softTargets).toBeUndefined();
    expect(p.method).toMatch(new RegExp(`Soft targets, not SPSA \\(from step ${at} of this run\\)`));
    expect(p.method).toMatch(/each byte's target mixes the next byte \(weight 0\.1\) with .* 5-gram Kneser-Ney model \(weight 0\.9\)/);
  });

  it('an earlier model as the teacher: named in the provenance, kept by run.json, and checked on --resume', async () => {
    const data = corpus();
    const teacherRun = join(data, 'teacher'), out = join(data, 'run');
    await train(['--data', data, '--out', teacherRun, ...TINY, '--stop-at', '3']);
    const teacherFile = join(teacherRun, 'soma.bin');
    const sha = (await readSoma(readFileSync(teacherFile))).sha256;
    await expect(train(['--data', data, '--out', out, ...TINY, '--teacher', teacherFile])).rejects.toThrow(/--teacher needs --teacher-weight/);
    await train(['--data', data, '--out', out, ...TINY, '--stop-at', '3', '--teacher', teacherFile, '--teacher-weight', '0.5']);
    const p = (await readSoma(readFileSync(join(out, 'soma.bin')))).provenance;
    expect(p.softTargets).toEqual({ teacher: `an earlier SOMA model (${sha.slice(0, 12)}), trained by SPSA`, weight: 0.5, fromStep: 0 });
    expect(p.method).toMatch(/with the next-byte distribution of an earlier SOMA model \(sha256 \w+…, \d+ SPSA steps over \d+ bytes\) \(weight 0\.5\), run over the same streams; .* not cross-fitted\./);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).teacherModel).toMatchObject({ path: teacherFile, sha256: sha });
    await train(['--data', data, '--out', out, '--resume', '--stop-at', '6', '--quiet']); // the same teacher again, from run.json
    expect((await readSoma(readFileSync(join(out, 'soma.bin')))).provenance.softTargets?.teacher).toMatch(sha.slice(0, 12));
    cpSync(join(out, 'soma.bin'), teacherFile); // another model where the teacher was
    await expect(train(['--data', data, '--out', out, '--resume', '--stop-at', '9', '--quiet'])).rejects.toThrow(/teacher .* has changed/);
  });

  it('refuses a trainer state of another version', async () => {
    const data = corpus();
    await train(['--data', data, '--out', join(data, 'run'), ...TINY, '--stop-at', '5']);
    const state = readFileSync(join(data, 'run', 'state.bin'));
    state.writeUInt32LE(99, 4);
    writeFileSync(join(data, 'run', 'state.bin'), state);
    await expect(train(['--data', data, '--out', join(data, 'run'), '--resume', '--quiet'])).rejects.toThrow(/version 99/);
  });
});

describe('soma train --help', () => {
  it('lists every setting with its default, from the one settings table', async () => {
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    try {
      await train(['--help']);
    } finally {
      process.stdout.write = write;
    }
    const text = out.join('');
    for (const [k, s] of Object.entries(SETTINGS)) expect(text).toMatch(new RegExp(`--${flagOf(k as keyof typeof SETTINGS)} +${String(s.train).replace('.', '\\.')} `));
    expect(Object.keys(FINETUNE_DEFAULTS).sort()).toEqual(['balance', 'batch', 'beta', 'eps', 'headRounds', 'l2Lr', 'l2Rounds', 'lr', 'rowLr', 'rowRounds', 'seed', 'sharedEvery', 'steps', 'unitLr', 'unitRounds', 'warmup', 'window']);
    for (const [k, v] of Object.entries(FINETUNE_DEFAULTS)) expect(v).toBe((SETTINGS[k as keyof typeof SETTINGS] as { tune: number }).tune);
    await expect(train(['--unit-rounds', '-1'])).rejects.toThrow(/unit-rounds/);
  });
});
