// The soft-target teacher: its cross-fitting keeps every byte away from the model that counted it,
// and its rows mix the true byte with the model's distribution.
import { describe, expect, it } from 'vitest';
import { knDistribution, trainKn } from '../../src/train/kneser-ney';
import { Teacher } from '../../src/train/teacher';

const enc = (s: string) => new TextEncoder().encode(s);

describe('Teacher', () => {
  // Two blocks of 64 bytes: the phrase after "xq" appears only in block 0.
  const text = enc(`${'the cat sat on the mat. xqzvwk! '.padEnd(64, '.')}${'the dog sat on the log. '.padEnd(64, '.')}`);

  it('teaches each byte with a model that never counted it', () => {
    const teacher = new Teacher(text, 3, 2, 64);
    expect(teacher.foldOf(10)).toBe(0);
    expect(teacher.foldOf(70)).toBe(1);
    const q = new Float64Array(256);
    const at = text.indexOf(enc('z')[0]); // after "xq": seen only in block 0
    teacher.distribution(at, q);
    const counted = trainKn(text, 3); // a model that has seen it is sure of it
    expect(knDistribution(counted, text.subarray(at - 2, at))[text[at]]).toBeGreaterThan(0.2);
    expect(q[text[at]]).toBeLessThan(0.05);
    // The bytes both blocks share are still well predicted: " sat" after "the dog" in block 1.
    const sat = 64 + 'the dog s'.length;
    teacher.distribution(sat, q);
    expect(q[text[sat]]).toBeGreaterThan(0.2);
  });

  it('mixes its distribution with the true byte: rows sum to 1, with at least 1 − α on the byte', () => {
    const teacher = new Teacher(text, 3, 2, 64);
    const out = new Float32Array(2 * 256);
    teacher.target(40, 0.25, out, 1);
    expect(out.subarray(0, 256).every((x) => x === 0)).toBe(true);
    const row = out.subarray(256);
    expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(row[text[40]]).toBeGreaterThanOrEqual(0.75);
    expect(Math.min(...row)).toBeGreaterThan(0);
  });

  it('refuses a text too short for its folds', () => {
    expect(() => new Teacher(text, 3, 4, 64)).toThrow(/fewer than 4 folds/);
    expect(() => new Teacher(text, 3, 1, 64)).toThrow(/at least 2 folds/);
  });
});
