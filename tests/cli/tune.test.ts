// `soma tune`, spawned as a user runs it: its report ends with the exact before -> after line, it
// writes a tuned soma.bin that says what it is, and mistakes get one line on stderr and exit code 2.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSoma } from '../../src/model/format';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = 'tests/fixtures/sotu-excerpt.txt';

const soma = (...args: string[]): SpawnSyncReturns<Buffer> => spawnSync(process.execPath, ['src/cli/soma.mjs', ...args], { cwd: ROOT, timeout: 60_000 });

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'soma-tune-test-'));
  writeFileSync(join(tmp, 'tiny.txt'), 'too short');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('soma tune', () => {
  it("prints held-out nats/char and ends with 'tuned nats/char: A -> B', writing a tuned soma.bin", async () => {
    const out = join(tmp, 'tuned.bin');
    const r = soma('tune', FIXTURE, '--seconds', '2', '--out', out);
    expect([r.status, r.stderr.toString()]).toEqual([0, '']);
    const lines = r.stdout.toString().trimEnd().split('\n');
    const last = lines.at(-1)!;
    expect(last).toMatch(/^tuned nats\/char: \d+\.\d{4} -> \d+\.\d{4}$/);
    const [a, b] = last.match(/\d+\.\d{4}/g)!.map(Number);
    expect(lines.some((l) => l === `held-out nats/char before: ${a.toFixed(4)}`)).toBe(true);
    const file = await readSoma(new Uint8Array(readFileSync(out)));
    expect(file.provenance.method).toMatch(/^fine-tuned by `soma tune` with SPSA/);
    expect(file.provenance.valNatsPerChar).toEqual({ 'held-out before': a, 'held-out after': b });
    expect(file.provenance.steps).toBeGreaterThan(0);
  });

  it('takes every fine-tune setting as a flag, and its provenance names the block steps it ran', async () => {
    const out = join(tmp, 'flags.bin');
    const r = soma('tune', FIXTURE, '--seconds', '1', '--out', out, '--row-rounds', '3', '--row-lr', '0.004', '--unit-rounds', '1');
    expect([r.status, r.stderr.toString()]).toEqual([0, '']);
    const file = await readSoma(new Uint8Array(readFileSync(out)));
    expect(file.provenance.notes).toMatch(/per trunk step 0 head, 1 unit \(lr 0\.0005\) and 3 row steps \(lr 0\.004\)/);
  });

  it.each([
    [[], /one text FILE/],
    [[FIXTURE, '--out', 'x.bin', '--row-rounds', '1.5'], /--row-rounds must be an integer/],
    [[FIXTURE], /--out/],
    [[FIXTURE, '--out', 'x.bin', '--seconds', 'soon'], /--seconds must be a number/],
    [[FIXTURE, '--out', 'x.bin', '--bogus'], /unknown option --bogus/],
    [['no-such-file.txt', '--out', 'x.bin'], /no such file/],
    [['TINY', '--out', 'x.bin'], /at least 200/],
    [[FIXTURE, '--out', 'x.bin', '--weights', FIXTURE], /^soma: soma\.bin: /],
    [[FIXTURE, '--out', 'x.bin', '--kernels', 'gpu'], /--kernels must be native or wasm/],
  ])('refuses %j with one line on stderr and exit code 2', (args, message) => {
    const r = soma('tune', ...args.map((x) => (x === 'TINY' ? join(tmp, 'tiny.txt') : x)));
    const err = r.stderr.toString();
    expect(r.status).toBe(2);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(err).toMatch(message);
    expect(r.stdout.toString()).toBe('');
  });
});
