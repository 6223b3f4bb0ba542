// The key to "colour by expert": each expert's colour, and its share of the bytes so far.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { expertColors } from './expert-colors';

@customElement('soma-expert-legend')
export class SomaExpertLegend extends LitElement {
  @property({ type: Number }) experts = 0;
  @property({ attribute: false }) shares: number[] = [];

  static override styles = [
    expertColors,
    css`
      :host {
        display: block;
        font-size: 0.8125rem;
        color: var(--muted);
      }
      ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.75rem;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        align-items: center;
        gap: 0.3rem;
        font-variant-numeric: tabular-nums;
      }
      .swatch {
        display: inline-block;
        width: 0.8rem;
        height: 0.8rem;
        border-radius: 0.2rem;
      }
    `,
  ];

  override render() {
    return html`<ul aria-label="Expert colours">
      ${Array.from({ length: this.experts }, (_, i) => {
        const share = this.shares[i];
        return html`<li><span class="swatch e e${i}" aria-hidden="true"></span>expert ${i}${share !== undefined ? html` <span>${(share * 100).toFixed(0)}%</span>` : ''}</li>`;
      })}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-expert-legend': SomaExpertLegend;
  }
}
