// The page's header: the model's size and quality, as its soma.bin header states them.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelInfo } from '../engine/protocol';
import { controls } from './theme';
import { grouped, meanNatsPerChar, megabytes } from './units';

@customElement('soma-model-header')
export class SomaModelHeader extends LitElement {
  @property({ attribute: false }) info?: ModelInfo;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.25rem 1rem;
      }
      h1 {
        margin: 0;
        font-size: 1.75rem;
        letter-spacing: 0.08em;
      }
      .tagline {
        margin: 0;
        color: var(--muted);
      }
      dl {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1.25rem;
        margin: 0.5rem 0 0;
        font-variant-numeric: tabular-nums;
      }
      dl div {
        display: flex;
        gap: 0.35rem;
        align-items: baseline;
      }
      dt {
        color: var(--muted);
        font-size: 0.875rem;
      }
      dd {
        margin: 0;
        font-weight: 600;
      }
    `,
  ];

  private natsPerChar(info: ModelInfo) {
    const val = info.provenance.valNatsPerChar;
    const mean = meanNatsPerChar(val);
    if (mean === null) return html`<dd>— <span class="muted">(${info.provenance.trained ? 'not measured' : 'untrained'})</span></dd>`;
    const splits = Object.entries(val ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    return html`<dd title="held-out splits: ${splits}">${mean.toFixed(3)}</dd>`;
  }

  override render() {
    const info = this.info;
    return html`<header>
        <h1>SOMA</h1>
        <p class="tagline">a byte-level mixture of experts, running in this tab</p>
      </header>
      ${info
        ? html`<dl aria-label="The model">
            <div><dt>params</dt><dd>${grouped(info.params)}</dd></div>
            <div><dt>weights</dt><dd>${megabytes(info.fileBytes)}</dd></div>
            <div><dt>experts</dt><dd>${info.config.experts}</dd></div>
            <div><dt>nats/char</dt>${this.natsPerChar(info)}</div>
          </dl>`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-model-header': SomaModelHeader;
  }
}
