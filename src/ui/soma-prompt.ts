// The prompt box, with Generate and Stop. Ctrl+Enter (⌘+Enter) anywhere in Write generates and
// Escape stops: the page listens for them (soma-app), so they work wherever the focus is.
import { LitElement, type PropertyValues, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { controls } from './theme';

export type GenerateEvent = CustomEvent<{ prompt: string }>;

@customElement('soma-prompt')
export class SomaPrompt extends LitElement {
  /** Generation can't start: no model yet, or a setting is refused. */
  @property({ type: Boolean }) blocked = false;
  @property({ type: Boolean }) running = false;
  /** Why Generate is unavailable, shown under the buttons. */
  @property() reason = '';
  @query('textarea') private textarea!: HTMLTextAreaElement;
  @query('#generate') private generateButton!: HTMLButtonElement;
  @query('#stop') private stopButton!: HTMLButtonElement;
  /** Keeps keyboard focus on a usable button as Generate and Stop take turns being disabled. */
  private moveFocus = false;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      label {
        display: block;
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      textarea {
        display: block;
        width: 100%;
        min-height: 5rem;
        resize: vertical;
        line-height: 1.45;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
        margin-top: 0.5rem;
      }
      .keys {
        font-size: 0.8125rem;
      }
    `,
  ];

  /** Asks to generate from the prompt as it is. */
  submit(): void {
    if (this.blocked || this.running) return;
    this.moveFocus = this.shadowRoot?.activeElement === this.generateButton;
    this.dispatchEvent(new CustomEvent('generate', { detail: { prompt: this.textarea.value }, bubbles: true, composed: true }));
  }

  private stop(): void {
    this.dispatchEvent(new CustomEvent('stop', { bubbles: true, composed: true }));
  }

  override updated(changed: PropertyValues<this>): void {
    if (!changed.has('running') || !this.moveFocus) return;
    const focus = this.shadowRoot?.activeElement;
    if (this.running && (focus === this.generateButton || focus === null)) this.stopButton.focus();
    if (!this.running && (focus === this.stopButton || focus === null)) {
      this.generateButton.focus();
      this.moveFocus = false;
    }
  }

  override render() {
    return html`
      <label for="prompt">Prompt</label>
      <textarea id="prompt" rows="3" spellcheck="false" aria-describedby="keys">The </textarea>
      <div class="actions">
        <button id="generate" class="primary" @click=${this.submit} ?disabled=${this.blocked || this.running}>Generate</button>
        <button id="stop" @click=${this.stop} ?disabled=${!this.running}>Stop</button>
        <span id="keys" class="keys muted">${this.reason || 'Ctrl+Enter generates, Escape stops'}</span>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-prompt': SomaPrompt;
  }
}
