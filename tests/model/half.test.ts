import { describe, expect, it } from 'vitest';
import { HALF_MAX, fromHalfBits, toHalfBits } from '../../src/model/half';
import { Rng } from '../../src/model/random';

describe('fp16', () => {
  it('converts known values, rounding ties to even', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(HALF_MAX)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // halfway past the largest: rounds to Inf
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(1); // the smallest subnormal
    expect(toHalfBits(2 ** -25)).toBe(0); // a tie between 0 and it: even is 0
    expect(toHalfBits(3 * 2 ** -25)).toBe(2); // a tie between 1 and 2 (in units of 2^-24): even is 2
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie: even mantissa
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up from the subnormals into the normals
    expect(fromHalfBits(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(fromHalfBits(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(fromHalfBits(0x7e00))).toBe(true);
  });

  it('every half survives a round trip, and a float goes to the nearest half', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaNs
      expect(toHalfBits(fromHalfBits(h))).toBe(h);
    }
    const rng = new Rng(5);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround((rng.uniform() - 0.5) * 2 ** (Math.floor(rng.uniform() * 40) - 26)); // weights are fp32
      const h = toHalfBits(x);
      const err = Math.abs(fromHalfBits(h) - x);
      // No neighbour of the chosen half is nearer to x.
      for (const n of [h - 1, h + 1]) if ((n & 0x7fff) < 0x7c00 && (n & 0x8000) === (h & 0x8000)) expect(err).toBeLessThanOrEqual(Math.abs(fromHalfBits(n) - x));
    }
  });
});
