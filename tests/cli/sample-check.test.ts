// soma sample-check: the word split and count, and the command on the shipped weights with a small word list.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { countRealWords, sampleCheck, wordSet, wordsOf } from '../../src/cli/sample-check';

describe('soma sample-check', () => {
  it('splits words at anything but letters and inner apostrophes, and counts them case-insensitively', () => {
    expect(wordsOf("The nation's 2 thinto,\nwe-don't  'x")).toEqual(['The', "nation's", 'thinto', 'we', "don't", 'x']);
    const known = wordSet('the\nNation\'s\nwe\n\n');
    expect(countRealWords("The nation's thinto, WE.", known)).toEqual({ real: 3, total: 4 });
    expect(countRealWords('', known)).toEqual({ real: 0, total: 0 });
  });

  it('reports the share of sampled words in the list, the same for the same seeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soma-words-'));
    writeFileSync(join(dir, 'words'), 'the\nand\nof\nto\na\nin\nis\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const run = async () => {
        await sampleCheck(['--words', join(dir, 'words'), '--samples', '2', '--length', '200', '--json']);
        return JSON.parse(log.mock.calls.at(-1)![0] as string);
      };
      const a = await run(), b = await run();
      expect(a.words).toBeGreaterThan(10);
      expect(a.realShare).toBeGreaterThan(0);
      expect(a.realShare).toBeLessThan(1);
      expect(b).toEqual(a);
      await expect(sampleCheck(['--words', join(dir, 'none')])).rejects.toThrow(/cannot read word list/);
    } finally {
      log.mockRestore();
    }
  });
});
