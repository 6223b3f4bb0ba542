// The baselines' units: compressed sizes and nats to the figures reported. The n-gram models
// themselves are tested in tests/train/kneser-ney.test.ts.
import { describe, expect, it } from 'vitest';
import { bitsPerByte, compressedNats } from '../../src/cli/baselines';

describe('baselines', () => {
  it('converts sizes and nats to the reported units', () => {
    expect(compressedNats(100)).toBeCloseTo(800 * Math.LN2, 12);
    expect(compressedNats(100) / 800).toBeCloseTo(Math.LN2, 12);
    expect(bitsPerByte(compressedNats(100), 800)).toBeCloseTo(1, 12);
  });
});
