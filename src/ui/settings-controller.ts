// The generation settings as the page holds them: what is typed, what is refused and why, and the
// remembered values in localStorage.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type RawSettings, type SettingKey, type UiSettings, defaultRaw, loadSettings, parseSetting, parseSettings, saveSettings } from './settings';

function browserStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // some browsers throw on access when storage is blocked
  }
}

export class SettingsController implements ReactiveController {
  private readonly storage = browserStorage();
  raw: RawSettings = defaultRaw();
  hints: Partial<Record<SettingKey, string>> = {};

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.raw = loadSettings(this.storage);
    this.hints = {};
  }

  /** The settings to generate with, or null while any is refused. */
  get value(): UiSettings | null {
    return parseSettings(this.raw);
  }

  set(key: SettingKey, raw: string): void {
    this.raw = { ...this.raw, [key]: raw };
    const parsed = parseSetting(key, raw);
    const { [key]: _, ...others } = this.hints;
    this.hints = 'hint' in parsed ? { ...others, [key]: parsed.hint } : others;
    saveSettings(this.storage, this.raw);
    this.host.requestUpdate();
  }

  reset(): void {
    this.raw = defaultRaw();
    this.hints = {};
    saveSettings(this.storage, this.raw);
    this.host.requestUpdate();
  }
}
