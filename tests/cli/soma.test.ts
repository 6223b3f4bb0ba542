// The real `soma` command, spawned as a user would run it: reproducible output, the score and
// inspect reports, and one clean line on stderr with exit code 2 for every mistake.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramCount } from '../../src/model/config';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = 'tests/fixtures/sotu-excerpt.txt';

function soma(...args: string[]): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, ['src/cli/soma.mjs', ...args], { cwd: ROOT, timeout: 30_000 });
}

let tmp: string;
const garbage = () => join(tmp, 'garbage.bin');
const truncated = () => join(tmp, 'truncated.bin');
const empty = () => join(tmp, 'empty.txt');

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'soma-cli-test-'));
  writeFileSync(garbage(), Buffer.from('this is not a model\n'.repeat(20)));
  const real = readFileSync(join(ROOT, 'public/soma.bin'));
  writeFileSync(truncated(), real.subarray(0, real.length - 1000));
  writeFileSync(empty(), '');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('soma generate', () => {
  it('ends quietly when its reader goes away early (| head)', () => {
    // A generous limit: this is the file's first spawn, so tsx compiles the CLI cold on a busy machine.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" src/cli/soma.mjs generate "The " --length 20000 | head -c 10`], { cwd: ROOT, timeout: 120_000 });
    expect([r.status, r.signal, r.error?.message, r.stderr.toString(), r.stdout.length]).toEqual([0, null, undefined, '', 10]);
    expect(r.stdout.toString().startsWith('The ')).toBe(true);
  });

  it('prints the same output for the same seed, on both backends, starting with the prompt', () => {
    const args = ['generate', 'The ', '--length', '50', '--seed', '3', '--temp', '0.8'];
    const runs = [soma(...args), soma(...args), soma(...args, '--backend', 'js')];
    for (const r of runs) expect([r.status, r.stderr.toString()]).toEqual([0, '']);
    const out = runs[0].stdout;
    expect(out.toString().startsWith('The ')).toBe(true);
    expect(out.length).toBeGreaterThan('The '.length + 10);
    expect(runs[1].stdout.equals(out)).toBe(true);
    expect(runs[2].stdout.equals(out)).toBe(true);
    expect(soma('generate', 'The ', '--length', '50', '--seed', '4', '--temp', '0.8').stdout.equals(out)).toBe(false);
  });
});

describe('soma score', () => {
  it('ends with a nats/char line', () => {
    const r = soma('score', FIXTURE);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^nats\/char: \d+\.\d{4}$/);
    expect(lines[0]).toContain('12722 bytes');
  });

  it('prints JSON with --json; an untrained model scores about ln 256 nats a byte', () => {
    const weights = join(tmp, 'untrained.bin');
    expect(soma('init', '--out', weights, '--seed', '2').status).toBe(0);
    const r = soma('score', FIXTURE, '--json', '--weights', weights);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout.toString());
    expect(j.bytes).toBe(12_722);
    expect(j.nats_per_char).toBeCloseTo(j.nats / j.chars, 12);
    expect(j.bits_per_byte).toBeCloseTo(j.nats / Math.LN2 / j.bytes, 12);
    expect(j.chars).toBeLessThan(j.bytes); // the fixture has some non-ASCII characters
    // Close to uniform over bytes: ln 256 = 5.545 nats a byte.
    expect(j.nats / j.bytes).toBeGreaterThan(5);
    expect(j.nats / j.bytes).toBeLessThan(6.5);
  });
});

describe('soma inspect', () => {
  it("summarises the shipped weights from their own header", () => {
    const r = soma('inspect', 'public/soma.bin');
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    const bytes = readFileSync(join(ROOT, 'public/soma.bin'));
    const header = JSON.parse(bytes.subarray(12, 12 + bytes.readUInt32LE(8)).toString('utf8'));
    expect(out).toContain(header.provenance.trained ? 'trained: yes' : 'trained: no');
    expect(out).toContain(`steps: ${header.provenance.steps}`);
    expect(out).toContain(`params: ${paramCount(header.config)} `);
    expect(out).toContain(`reading ${header.config.decoderInput}`);
  });
});

describe('soma usage errors', () => {
  const cases: [string, () => string[]][] = [
    ['an unknown command', () => ['frobnicate']],
    ['an unknown option', () => ['generate', 'x', '--frobnicate', '1']],
    ['--temp abc', () => ['generate', 'x', '--temp', 'abc']],
    ['--length 0', () => ['generate', 'x', '--length', '0']],
    ['--top-p 2', () => ['generate', 'x', '--top-p', '2']],
    ['a blank --temp', () => ['generate', 'x', '--temp', ' ']],
    ['--backend gpu', () => ['generate', 'x', '--backend', 'gpu']],
    ['a missing file to score', () => ['score', join(tmp, 'no-such-file.txt')]],
    ['corrupt weights', () => ['generate', 'x', '--weights', garbage()]],
    ['truncated weights', () => ['score', FIXTURE, '--weights', truncated()]],
    ['an empty text file', () => ['score', empty()]],
  ];
  it.each(cases)('%s: exit code 2 and one line on stderr, no stack trace', (_, args) => {
    const r = soma(...args());
    const err = r.stderr.toString();
    expect(r.status, err).toBe(2);
    expect(err).toMatch(/^soma: [^\n]+\n$/);
    expect(err).not.toContain('    at ');
    expect(r.stdout.toString()).toBe('');
  });
});
