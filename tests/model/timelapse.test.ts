import { describe, expect, it } from 'vitest';
import { TimelapseError, parseTimelapseIndex, pickLogSpaced } from '../../src/model/timelapse';

const frame = (tokens: number) => ({ file: `${String(tokens).padStart(12, '0')}.bin`, tokens, steps: Math.floor(tokens / 512), fileBytes: 1_206_592, sha256: 'ab'.repeat(32), valNatsPerChar: { sotu: 2.5 } });
const good = { version: 1, run: 'SPSA', valBytes: 65536, frames: [frame(0), frame(1_048_576), frame(4_194_304)] };

describe('timelapse index', () => {
  it('accepts a well-formed index', () => {
    expect(parseTimelapseIndex(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });

  it('refuses malformed or hostile indexes with one clear error', () => {
    const bad: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[1], /not a JSON object/],
      [{ ...good, version: 2 }, /version 2/],
      [{ ...good, run: 3 }, /run/],
      [{ ...good, valBytes: -1 }, /valBytes/],
      [{ ...good, frames: [] }, /frames/],
      [{ ...good, frames: Array.from({ length: 33 }, (_, i) => frame(i)) }, /frames/],
      [{ ...good, frames: [{ ...frame(0), file: '../soma.bin' }] }, /file/],
      [{ ...good, frames: [{ ...frame(5), file: frame(6).file }] }, /file/],
      [{ ...good, frames: [{ ...frame(0), sha256: 'x' }] }, /sha256/],
      [{ ...good, frames: [{ ...frame(0), valNatsPerChar: { sotu: 'low' } }] }, /valNatsPerChar/],
      [{ ...good, frames: [{ ...frame(0), steps: 1.5 }] }, /steps/],
      [{ ...good, frames: [frame(8), frame(8)] }, /ascending/],
      [{ ...good, frames: [frame(8), 'x'] }, /frame 1/],
    ];
    for (const [json, pattern] of bad) {
      expect(() => parseTimelapseIndex(json)).toThrow(TimelapseError);
      expect(() => parseTimelapseIndex(json)).toThrow(pattern);
    }
  });

  it('picks log-spaced frames, always the first and the last', () => {
    const all = [0, ...Array.from({ length: 8 }, (_, i) => 2 ** i * 1_000_000), 200_000_000].map((tokens) => ({ tokens }));
    expect(pickLogSpaced(all, 20)).toEqual(all);
    expect(pickLogSpaced(all, 2).map((f) => f.tokens)).toEqual([0, 200_000_000]);
    // Interior targets at 1M, then a third, two thirds of the way (in log tokens) toward 200M.
    expect(pickLogSpaced(all, 5).map((f) => f.tokens)).toEqual([0, 1_000_000, 8_000_000, 32_000_000, 200_000_000]);
  });
});
