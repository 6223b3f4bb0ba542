// Copies the output's text to the clipboard and says so: "copied ✓".
import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { controls } from './theme';

const SAID_MS = 2000;

@customElement('soma-copy-button')
export class SomaCopyButton extends LitElement {
  /** Reads the text at the moment of copying. */
  @property({ attribute: false }) source: () => string = () => '';
  @property({ type: Boolean }) disabled = false;
  @state() private said: 'idle' | 'copied' | 'failed' = 'idle';
  private timer?: ReturnType<typeof setTimeout>;

  static override styles = [controls, css`:host { display: inline-block; }`];

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.source());
      this.said = 'copied';
    } catch {
      this.said = 'failed'; // no clipboard permission, or an insecure context
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.said = 'idle'), SAID_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  override render() {
    const label = this.said === 'copied' ? 'copied ✓' : this.said === 'failed' ? 'copy failed' : 'copy';
    return html`<button @click=${this.copy} ?disabled=${this.disabled} aria-live="polite">${label}</button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-copy-button': SomaCopyButton;
  }
}
