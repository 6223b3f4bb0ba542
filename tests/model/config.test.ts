import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SomaConfig, configError, decoderWidth, flopsPerByte, macsPerByte, paramCount, withConfigDefaults } from '../../src/model/config';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { paramGroups } from '../../src/train/spsa';

describe('config', () => {
  it('the default model is about 1M parameters and at most 1 MFLOP per byte', () => {
    expect(paramCount(DEFAULT_CONFIG)).toBe(1029392);
    expect(macsPerByte(DEFAULT_CONFIG).total).toBe(332800);
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

  it.each(['h2', 'h2+h1+x', 'h2+h1+x+r'] as const)('the tensor table gives every layout, offset and trainer group (decoder input %s)', (decoderInput) => {
    const c = { ...DEFAULT_CONFIG, decoderInput };
    const layout = weightLayout(c);
    const size = (slices: { size: number }[]) => slices.reduce((n, s) => n + s.size, 0);
    const g = paramGroups(c);
    // Shared and per-expert groups cover every parameter once; the decoder's two block kinds make up its head.
    expect(size(g.shared) + g.experts.reduce((n, e) => n + size(e), 0)).toBe(paramCount(c));
    for (let e = 0; e < c.experts; e++) expect(size(g.rows[e]) + size(g.units[e])).toBe(size(g.heads[e]));
    expect(size(g.units[0])).toBe(c.mlpHidden * (decoderWidth(c) + 1));
    // Offsets by key are the layout's, one per tensor.
    const w = weightOffsets(layout, 100);
    expect(Object.keys(w)).toHaveLength(layout.tensors.length);
    for (const t of layout.tensors) expect(w[t.key]).toBe(100 + t.offset);
  });

  it("a layer 2 with the element-wise recurrence: W [K, 4H, H] on LN1(h1), r [K, 4H], in the trunk; its unit blocks cover them", () => {
    const c: SomaConfig = { ...DEFAULT_CONFIG, layer2Recurrence: 'unit' };
    const { experts: K, expertHidden: H } = c;
    const layout = weightLayout(c);
    expect(layout.byName.get('experts.l2.w')!.shape).toEqual([K, 4 * H, H]);
    expect(layout.byName.get('experts.l2.r')).toMatchObject({ shape: [K, 4 * H], group: 'trunk', init: { uniform: 2 } });
    expect(paramCount(c)).toBe(paramCount(DEFAULT_CONFIG) - K * 4 * H * H + K * 4 * H);
    expect(weightLayout(DEFAULT_CONFIG).byName.has('experts.l2.r')).toBe(false);
    expect(macsPerByte(DEFAULT_CONFIG).experts - macsPerByte(c).experts).toBe(K * (4 * H * H - 4 * H));
    const g = paramGroups(c);
    for (let e = 0; e < K; e++) expect(g.l2units[e].map((s) => s.size)).toEqual([4 * H * H, 4 * H, 4 * H]);
    expect(paramGroups(DEFAULT_CONFIG).l2units.every((e) => e.length === 0)).toBe(true);
    expect(configError(c)).toBeNull();
  });

  it('refuses an unknown layer-2 recurrence, and reads an old header without one as the full matrix', () => {
    expect(configError({ ...DEFAULT_CONFIG, layer2Recurrence: 'diagonal' })).toMatch(/layer2Recurrence must be one of full, unit/);
    const { layer2Recurrence: _, ...old } = DEFAULT_CONFIG;
    expect(configError(old)).toMatch(/layer2Recurrence/);
    expect(withConfigDefaults(old)).toEqual(DEFAULT_CONFIG);
    expect(withConfigDefaults({ ...DEFAULT_CONFIG, layer2Recurrence: 'unit' })).toEqual({ ...DEFAULT_CONFIG, layer2Recurrence: 'unit' });
  });

  it('refuses an unknown decoder input, and reads an old header without one as LN2(h2) alone', () => {
    expect(configError({ ...DEFAULT_CONFIG, decoderInput: 'h3' })).toMatch(/decoderInput must be one of/);
    const { decoderInput: _, ...old } = DEFAULT_CONFIG;
    expect(configError(old)).toMatch(/decoderInput/);
    expect(withConfigDefaults(old)).toEqual({ ...DEFAULT_CONFIG, decoderInput: 'h2' });
  });
});
