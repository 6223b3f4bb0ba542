// Where the user's own text comes from: typed or pasted into the box, or read from a file. Emits
// 'text-submit' with the text; the panel that holds it decides what to do with it.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { controls } from './theme';

/** name: the file the text came from, unchanged since, or '' for typed or pasted text. */
export type TextSubmitEvent = CustomEvent<{ text: string; name: string }>;

@customElement('soma-text-source')
export class SomaTextSource extends LitElement {
  @property() label = 'Text';
  @property() action = 'Go';
  @property({ type: Boolean }) busy = false;
  @property({ type: Boolean }) blocked = false;
  @property() placeholder = '';
  /** Why the action waits, shown beside it (e.g. "Teaching: pause it to score."). */
  @property() reason = '';
  private fileName = '';
  @query('textarea') private box!: HTMLTextAreaElement;

  static override styles = [
    controls,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
      }
      textarea {
        width: 100%;
        min-height: 7rem;
        resize: vertical;
        font: 0.95rem/1.45 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
      }
      .reason {
        margin: 0;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
    `,
  ];

  /** The text in the box. */
  get value(): string {
    return this.box?.value ?? '';
  }

  set value(text: string) {
    if (this.box) this.box.value = text;
  }

  private async onFile(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.box.value = await file.text();
    this.fileName = file.name;
    input.value = '';
  }

  private submit(): void {
    this.dispatchEvent(new CustomEvent('text-submit', { detail: { text: this.box.value, name: this.fileName }, bubbles: true, composed: true }));
  }

  override render() {
    return html`
      <label for="box">${this.label}</label>
      <textarea id="box" spellcheck="false" placeholder=${this.placeholder} @input=${() => (this.fileName = '')}></textarea>
      <div class="row">
        <button class="primary" @click=${this.submit} ?disabled=${this.busy || this.blocked}>${this.action}</button>
        <label>or open a file: <input type="file" accept=".txt,.md,text/*" aria-label="${this.label}: open a file" @change=${this.onFile} /></label>
        <slot></slot>
      </div>
      ${this.reason ? html`<p class="reason muted" role="status">${this.reason}</p>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-text-source': SomaTextSource;
  }
}
