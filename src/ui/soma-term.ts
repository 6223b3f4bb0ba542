// A short term with its plain explanation, shown on hover and on keyboard focus (a title
// attribute shows on neither a focus nor a tap). The explanation is the term's description for
// screen readers too.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';

@customElement('soma-term')
export class SomaTerm extends LitElement {
  /** The term as shown, e.g. "nats/char". */
  @property() term = '';
  /** What it means, in plain words. */
  @property() explain = '';

  static override styles = css`
    :host {
      position: relative;
      display: inline-block;
    }
    .term {
      text-decoration: underline dotted;
      text-underline-offset: 0.2em;
      cursor: help;
      border-radius: 0.2rem;
    }
    .term:focus-visible {
      outline: 3px solid var(--focus);
      outline-offset: 2px;
    }
    [role='tooltip'] {
      display: none;
      position: absolute;
      z-index: 10;
      top: calc(100% + 0.35rem);
      left: 0;
      width: max-content;
      max-width: min(18rem, 80vw);
      padding: 0.4rem 0.6rem;
      border: 1px solid var(--border-strong);
      border-radius: 0.4rem;
      background: var(--panel);
      color: var(--fg);
      font: 0.8125rem/1.4 system-ui, sans-serif;
      font-weight: normal;
      white-space: normal;
      box-shadow: 0 2px 8px rgb(0 0 0 / 0.2);
    }
    :host(:hover) [role='tooltip'],
    .term:focus + [role='tooltip'] {
      display: block;
    }
  `;

  override render() {
    return html`<span class="term" tabindex="0" aria-describedby="tip">${this.term}</span><span id="tip" role="tooltip">${this.explain}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-term': SomaTerm;
  }
}
