// The weights' arrival: a progress bar while soma.bin downloads, a busy line while it is checked.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { megabytes } from './units';

@customElement('soma-load-progress')
export class SomaLoadProgress extends LitElement {
  @property() label = '';
  @property({ type: Number }) loaded = 0;
  /** Bytes expected; unknown (null) draws an indeterminate bar. */
  @property({ type: Number }) total: number | null = null;

  static override styles = css`
    /* One line, the height of the status line it stands in for: nothing below moves when it goes. */
    :host {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.25rem 0.75rem;
      min-height: 1.5rem;
    }
    label {
      font-variant-numeric: tabular-nums;
    }
    progress {
      flex: 1 1 8rem;
      max-width: 16rem;
      height: 0.75rem;
      accent-color: var(--accent);
    }
  `;

  override render() {
    const figures = this.total ? ` ${megabytes(this.loaded)} of ${megabytes(this.total)}` : this.loaded > 0 ? ` ${megabytes(this.loaded)}` : '';
    return html`<label for="bar">${this.label}${figures}</label>
      ${this.total ? html`<progress id="bar" max=${this.total} .value=${Math.min(this.loaded, this.total)}></progress>` : html`<progress id="bar"></progress>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-load-progress': SomaLoadProgress;
  }
}
