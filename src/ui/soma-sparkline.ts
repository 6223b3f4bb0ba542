// A tiny bar chart: one bar per value, scaled to `max`. An image to assistive technology, with
// `label` as its description.
import { LitElement, css, html, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { expertColors } from './expert-colors';

const BAR = 4; // viewBox units per slot: a 3-unit bar and a 1-unit gap
const HEIGHT = 24;

@customElement('soma-sparkline')
export class SomaSparkline extends LitElement {
  @property({ attribute: false }) values: number[] = [];
  @property({ type: Number }) max = 1;
  /** Slots drawn; values fill them from the left. */
  @property({ type: Number }) slots = 16;
  /** Paint bar i in expert i's colour. */
  @property({ type: Boolean }) experts = false;
  @property() label = '';

  static override styles = [
    expertColors,
    css`
      :host {
        display: inline-block;
        vertical-align: middle;
      }
      svg {
        display: block;
        width: var(--sparkline-width, 5.5rem);
        height: 1.5rem;
      }
      .bar {
        fill: currentColor;
      }
      .track {
        fill: var(--border);
      }
    `,
  ];

  override render() {
    const n = Math.max(this.slots, this.values.length);
    const max = this.max > 0 ? this.max : 1;
    return html`<svg viewBox="0 0 ${n * BAR} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label=${this.label}>
      ${Array.from({ length: n }, (_, i) => {
        const v = this.values[i];
        const h = v === undefined ? 0 : Math.max(1, (Math.min(v, max) / max) * HEIGHT);
        return svg`<rect class="track" x=${i * BAR} y=${HEIGHT - 1} width=${BAR - 1} height="1"></rect>${
          h > 0 ? svg`<rect class=${this.experts ? `bar e e${i}` : 'bar'} x=${i * BAR} y=${HEIGHT - h} width=${BAR - 1} height=${h}></rect>` : ''
        }`;
      })}
    </svg>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-sparkline': SomaSparkline;
  }
}
