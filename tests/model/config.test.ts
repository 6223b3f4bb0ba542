import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configError, flopsPerByte, macsPerByte, paramCount } from '../../src/model/config';
import { weightLayout } from '../../src/model/weights';

describe('config', () => {
  it('the default model is 600-700K parameters and at most 1 MFLOP per byte', () => {
    expect(paramCount(DEFAULT_CONFIG)).toBe(602384);
    expect(paramCount(DEFAULT_CONFIG)).toBeGreaterThanOrEqual(600_000);
    expect(paramCount(DEFAULT_CONFIG)).toBeLessThanOrEqual(700_000);
    expect(macsPerByte(DEFAULT_CONFIG).total).toBe(306176);
    expect(flopsPerByte(DEFAULT_CONFIG)).toBeLessThanOrEqual(1_000_000);
  });

  it('lays tensors out 16-byte aligned without overlap', () => {
    const l = weightLayout(DEFAULT_CONFIG);
    let end = 0;
    for (const t of l.tensors) {
      expect(t.offset % 4).toBe(0);
      expect(t.offset).toBeGreaterThanOrEqual(end);
      end = t.offset + t.size;
    }
    expect(l.total).toBeGreaterThanOrEqual(end);
  });

  it('refuses configs a hostile header could use', () => {
    expect(configError(DEFAULT_CONFIG)).toBeNull();
    expect(configError(null)).toMatch(/not an object/);
    expect(configError({ ...DEFAULT_CONFIG, vocab: 300 })).toMatch(/vocab/);
    expect(configError({ ...DEFAULT_CONFIG, experts: 0 })).toMatch(/experts/);
    expect(configError({ ...DEFAULT_CONFIG, embed: 1.5 })).toMatch(/embed/);
    expect(configError({ ...DEFAULT_CONFIG, mlpHidden: '64' })).toMatch(/mlpHidden/);
    expect(configError({ ...DEFAULT_CONFIG, expertHidden: 1024, experts: 64 })).toMatch(/over the limit/);
  });
});
