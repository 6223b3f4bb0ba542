// The generation settings the page offers: their defaults, ranges, hints, and how they are kept
// across reloads. Pure functions over strings, as typed into the inputs.
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../engine/protocol';
import { grouped } from './units';

export interface UiSettings {
  temperature: number;
  topK: number;
  topP: number;
  repeatPenalty: number;
  length: number;
}
export type SettingKey = keyof UiSettings;
export type RawSettings = Record<SettingKey, string>;

export interface SettingField {
  key: SettingKey;
  label: string;
  min: number;
  max: number;
  step: number;
  integer: boolean;
  help: string; // what the setting does, in a few words
}

/** Longer runs work, but the page shows every byte; 20,000 keeps it quick on a phone. */
export const MAX_UI_LENGTH = 20_000;

export const SETTING_FIELDS: readonly SettingField[] = [
  { key: 'temperature', label: 'Temperature', min: SAMPLING_LIMITS.temperature[0], max: SAMPLING_LIMITS.temperature[1], step: 0.05, integer: false, help: '0 always picks the likeliest byte' },
  { key: 'topK', label: 'Top-k', min: SAMPLING_LIMITS.topK[0], max: SAMPLING_LIMITS.topK[1], step: 1, integer: true, help: 'keep the k likeliest bytes; 0 keeps all' },
  { key: 'topP', label: 'Top-p', min: SAMPLING_LIMITS.topP[0], max: SAMPLING_LIMITS.topP[1], step: 0.01, integer: false, help: 'keep the likeliest bytes up to this mass' },
  { key: 'repeatPenalty', label: 'Repeat penalty', min: SAMPLING_LIMITS.repeatPenalty[0], max: SAMPLING_LIMITS.repeatPenalty[1], step: 0.01, integer: false, help: 'discourages bytes seen in the last 64' },
  { key: 'length', label: 'Length (bytes)', min: 1, max: MAX_UI_LENGTH, step: 1, integer: true, help: 'how many bytes to generate' },
];

export const DEFAULT_SETTINGS: UiSettings = {
  temperature: DEFAULT_SAMPLING.temperature,
  topK: DEFAULT_SAMPLING.topK,
  topP: DEFAULT_SAMPLING.topP,
  repeatPenalty: DEFAULT_SAMPLING.repeatPenalty,
  length: 400,
};

const field = (key: SettingKey): SettingField => SETTING_FIELDS.find((f) => f.key === key)!;

/** Shows a default the way the input shows it: 0.80, not 0.8. */
export function formatSetting(key: SettingKey, value: number): string {
  const f = field(key);
  return f.integer ? String(value) : value.toFixed(2);
}

export const defaultRaw = (): RawSettings =>
  Object.fromEntries(SETTING_FIELDS.map((f) => [f.key, formatSetting(f.key, DEFAULT_SETTINGS[f.key])])) as RawSettings;

/** The value typed for `key`, or a hint saying what is accepted. */
export function parseSetting(key: SettingKey, raw: string): { value: number } | { hint: string } {
  const f = field(key);
  const text = raw.trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < f.min || value > f.max || (f.integer && !Number.isInteger(value))) {
    const range = `${f.integer ? 'a whole number' : 'a number'} from ${f.min} to ${f.integer ? grouped(f.max) : f.max}`;
    return { hint: `${f.label} must be ${range}.` };
  }
  return { value };
}

/** Every setting parsed, or null when any of them is refused. */
export function parseSettings(raw: RawSettings): UiSettings | null {
  const out = {} as UiSettings;
  for (const f of SETTING_FIELDS) {
    const r = parseSetting(f.key, raw[f.key]);
    if (!('value' in r)) return null;
    out[f.key] = r.value;
  }
  return out;
}

const STORAGE_KEY = 'soma.settings.v1';

/** The remembered settings over the defaults; anything stored that is out of range is ignored. */
export function loadSettings(storage: Pick<Storage, 'getItem'> | null): RawSettings {
  const raw = defaultRaw();
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? 'null');
    if (saved && typeof saved === 'object')
      for (const f of SETTING_FIELDS) {
        const v = (saved as Record<string, unknown>)[f.key];
        if (typeof v === 'string' && 'value' in parseSetting(f.key, v)) raw[f.key] = v;
      }
  } catch {
    // Unreadable or blocked storage: the defaults it is.
  }
  return raw;
}

/** Remembers the settings that are valid; a refused value keeps the last good one stored. */
export function saveSettings(storage: Pick<Storage, 'getItem' | 'setItem'> | null, raw: RawSettings): void {
  try {
    const keep = loadSettings(storage);
    for (const f of SETTING_FIELDS) if ('value' in parseSetting(f.key, raw[f.key])) keep[f.key] = raw[f.key];
    storage?.setItem(STORAGE_KEY, JSON.stringify(keep));
  } catch {
    // Storage may be full or blocked; the settings still work for this visit.
  }
}
