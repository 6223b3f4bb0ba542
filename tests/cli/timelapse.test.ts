// `soma timelapse` on a tiny training run: fp16 frames and an index the app accepts.
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSoma } from '../../src/model/format';
import { parseTimelapseIndex } from '../../src/model/timelapse';
import { timelapse } from '../../src/cli/timelapse';
import { train } from '../../src/cli/train';

describe('soma timelapse', () => {
  it('turns a run into fp16 frames, the start and the end, each scored, with an index the app accepts', async () => {
    const data = mkdtempSync(join(tmpdir(), 'soma-timelapse-'));
    for (const f of ['train.txt', 'val-sotu.txt', 'val-brown.txt']) cpSync(new URL('../fixtures/sotu-excerpt.txt', import.meta.url), join(data, f));
    const run = join(data, 'run');
    await train(['--data', data, '--out', run, '--batch', '4', '--window', '16', '--head-rounds', '2', '--steps', '24', '--val-bytes', '512', '--quiet']);
    const out = join(data, 'timelapse');
    await timelapse([run, '--out', out, '--data', data, '--val-bytes', '2048']);
    const index = parseTimelapseIndex(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')));
    expect(index.frames.map((f) => [f.tokens, f.steps])).toEqual([[0, 0], [index.frames[1].tokens, 24]]);
    expect(index.frames[1].tokens).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual([...index.frames.map((f) => f.file), 'index.json'].sort());
    for (const f of index.frames) {
      const bytes = readFileSync(join(out, f.file));
      const file = await readSoma(bytes);
      expect(file.header.tensors.every((t) => t.dtype === 'f16')).toBe(true);
      expect([file.sha256, bytes.length]).toEqual([f.sha256, f.fileBytes]);
      expect(file.provenance.valNatsPerChar).toEqual(f.valNatsPerChar);
    }
    // Each frame is scored on its own weights.
    const [a, b] = index.frames.map((f) => f.valNatsPerChar.sotu);
    for (const v of [a, b]) expect(v).toBeGreaterThan(1), expect(v).toBeLessThan(6);
    expect(a).not.toBe(b);
    await expect(timelapse([join(data, 'nowhere')])).rejects.toThrow(/no .*snapshots/);
  });
});
