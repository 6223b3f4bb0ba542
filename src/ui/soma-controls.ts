// The sampling controls. Each input says what it accepts; a refused value is marked and explained
// next to it. Values go up as events; the settings controller decides and remembers. The inputs are
// text, not type=number: a number input reports "" for a half-typed "0." and would refuse it unseen.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { type RawSettings, type SettingField, type SettingKey, SETTING_FIELDS, defaultRaw, formatSetting, parseSetting } from './settings';
import { controls } from './theme';

export type SettingInputEvent = CustomEvent<{ key: SettingKey; raw: string }>;

@customElement('soma-controls')
export class SomaControls extends LitElement {
  @property({ attribute: false }) raw: RawSettings = defaultRaw();
  @property({ attribute: false }) hints: Partial<Record<SettingKey, string>> = {};
  /** On a phone: a panel under the prompt that opens on a tap, its summary the values in use. */
  @property({ type: Boolean }) collapsible = false;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      fieldset {
        margin: 0;
        padding: 0.75rem;
        border: 1px solid var(--border);
        border-radius: 0.75rem;
      }
      legend {
        font-weight: 600;
        padding: 0 0.25rem;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr));
        gap: 0.75rem;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
      }
      label {
        font-size: 0.875rem;
        font-weight: 600;
      }
      input {
        width: 100%;
        font-variant-numeric: tabular-nums;
      }
      .help {
        font-size: 0.75rem;
      }
      .reset {
        margin-top: 0.75rem;
      }
      details {
        border: 1px solid var(--border);
        border-radius: 0.75rem;
      }
      details fieldset {
        border: 0;
      }
      summary {
        min-height: 2.5rem;
        display: flex;
        align-items: center;
        padding: 0 0.75rem;
        cursor: pointer;
        list-style: none;
      }
      summary::before {
        content: '▸';
        margin-right: 0.5rem;
      }
      details[open] summary::before {
        content: '▾';
      }
    `,
  ];

  private emit(key: SettingKey, raw: string): void {
    this.dispatchEvent(new CustomEvent('setting-input', { detail: { key, raw }, bubbles: true, composed: true }));
  }

  /** Arrow keys step a valid value within its range, as a number input would. */
  private onKey(f: SettingField, e: KeyboardEvent): void {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const parsed = parseSetting(f.key, this.raw[f.key]);
    if (!('value' in parsed)) return;
    e.preventDefault();
    const next = Math.min(f.max, Math.max(f.min, parsed.value + (e.key === 'ArrowUp' ? f.step : -f.step)));
    this.emit(f.key, formatSetting(f.key, Math.round(next / f.step) * f.step));
  }

  private reset(): void {
    this.dispatchEvent(new CustomEvent('settings-reset', { bubbles: true, composed: true }));
  }

  override render() {
    if (!this.collapsible) return this.fields();
    const r = this.raw;
    return html`<details>
      <summary>Sampling: temperature ${r.temperature}, top-k ${r.topK}, top-p ${r.topP}, repeat ${r.repeatPenalty}, ${r.length} bytes</summary>
      ${this.fields()}
    </details>`;
  }

  private fields() {
    return html`<fieldset>
      <legend>Sampling</legend>
      <div class="grid">
        ${SETTING_FIELDS.map((f) => {
          const hint = this.hints[f.key];
          return html`<div class="field">
            <label for=${f.key}>${f.label}</label>
            <input
              id=${f.key}
              type="text"
              inputmode=${f.integer ? 'numeric' : 'decimal'}
              autocomplete="off"
              spellcheck="false"
              .value=${this.raw[f.key]}
              aria-invalid=${hint ? 'true' : 'false'}
              aria-describedby="${f.key}-help"
              @input=${(e: Event) => this.emit(f.key, (e.target as HTMLInputElement).value)}
              @keydown=${(e: KeyboardEvent) => this.onKey(f, e)}
            />
            ${hint ? html`<span id="${f.key}-help" class="hint" role="alert">${hint}</span>` : html`<span id="${f.key}-help" class="help muted">${f.help}</span>`}
          </div>`;
        })}
      </div>
      <button class="reset" @click=${this.reset}>Defaults</button>
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-controls': SomaControls;
  }
}
