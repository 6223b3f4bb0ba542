import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_UI_LENGTH, defaultRaw, loadSettings, parseSetting, parseSettings, saveSettings } from '../../src/ui/settings';
import { samplingError } from '../../src/model/sampler';

/** A Storage stand-in over a Map. */
function memoryStorage(initial: Record<string, string> = {}) {
  const m = new Map(Object.entries(initial));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), map: m };
}

describe('the page settings', () => {
  it('default to temp 0.80, top-k 40, top-p 0.95, repeat 1.05, length 400', () => {
    expect(defaultRaw()).toEqual({ temperature: '0.80', topK: '40', topP: '0.95', repeatPenalty: '1.05', length: '400' });
    expect(parseSettings(defaultRaw())).toEqual(DEFAULT_SETTINGS);
  });

  it('refuse out-of-range, non-numeric and fractional-integer values with a hint', () => {
    expect(parseSetting('temperature', '5.01')).toEqual({ hint: 'Temperature must be a number from 0 to 5.' });
    expect(parseSetting('temperature', 'warm')).toHaveProperty('hint');
    expect(parseSetting('temperature', '')).toHaveProperty('hint');
    expect(parseSetting('topK', '2.5')).toEqual({ hint: 'Top-k must be a whole number from 0 to 256.' });
    expect(parseSetting('topP', '0')).toHaveProperty('hint');
    expect(parseSetting('repeatPenalty', '0.9')).toHaveProperty('hint');
    expect(parseSetting('length', String(MAX_UI_LENGTH + 1))).toEqual({ hint: 'Length (bytes) must be a whole number from 1 to 20,000.' });
    expect(parseSetting('length', ' 12 ')).toEqual({ value: 12 });
    expect(parseSettings({ ...defaultRaw(), topK: '-1' })).toBeNull();
  });

  it('accept only what the engine accepts', () => {
    for (const [key, raw] of [['temperature', '0'], ['temperature', '5'], ['topK', '0'], ['topK', '256'], ['topP', '0.01'], ['topP', '1'], ['repeatPenalty', '3']] as const) {
      const s = parseSettings({ ...defaultRaw(), [key]: raw })!;
      expect(samplingError({ ...s, repeatWindow: 64, seed: 1 })).toBeNull();
    }
  });

  it('are remembered, keep the last good value when one is refused, and ignore stored garbage', () => {
    const storage = memoryStorage();
    saveSettings(storage, { ...defaultRaw(), temperature: '0.5' });
    expect(loadSettings(storage).temperature).toBe('0.5');
    saveSettings(storage, { ...defaultRaw(), temperature: '99', topK: '7' });
    expect(loadSettings(storage)).toMatchObject({ temperature: '0.5', topK: '7' });
    expect(loadSettings(memoryStorage({ 'soma.settings.v1': '{"temperature":"-3","topK":12,"topP":"0.5"}' }))).toMatchObject({ temperature: '0.80', topK: '40', topP: '0.5' });
    expect(loadSettings(memoryStorage({ 'soma.settings.v1': 'not json' }))).toEqual(defaultRaw());
    expect(loadSettings(null)).toEqual(defaultRaw());
  });
});
