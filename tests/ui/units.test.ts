import { describe, expect, it } from 'vitest';
import { bytesWord, grouped } from '../../src/ui/units';

describe('grouped', () => {
  it('writes thousands with commas, as English does, rounded to a whole number', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 602_384, 2_411_264, 1_000_000_000, 123_456_789_012]) expect(grouped(n)).toBe(n.toLocaleString('en'));
    expect(grouped(1234.5)).toBe('1,235');
    expect(grouped(-1234.4)).toBe('-1,234');
    expect(grouped(-0.4)).toBe('0');
  });

  it('says "1 byte" and "1,200 bytes"', () => {
    expect(bytesWord(1)).toBe('1 byte');
    expect(bytesWord(1200)).toBe('1,200 bytes');
  });
});
