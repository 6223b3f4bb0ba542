// The page's header: the model in use, what the engine is doing, and the model's size and quality
// as its soma.bin header states them, each figure with a plain explanation on hover or focus.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelInfo } from '../engine/protocol';
import { controls } from './theme';
import type { Activity } from './engine-state';
import { grouped, meanNatsPerChar, megabytes } from './units';
import './soma-term';

const DOING: Record<Activity, string> = { loading: 'loading', idle: 'ready', generating: 'writing', scoring: 'scoring', teaching: 'teaching' };

@customElement('soma-model-header')
export class SomaModelHeader extends LitElement {
  @property({ attribute: false }) info?: ModelInfo;
  /** The model in use, in words: "original" or "tuned on …". */
  @property() modelLabel = 'original';
  @property() activity: Activity = 'loading';

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
      /* A grid of equal cells, not a wrapping row: the rows stay the same when the dashes give way
         to the figures, so the page below does not move. */
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
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
    return html`<dd>${mean.toFixed(3)}</dd>`;
  }

  private natsExplained(info: ModelInfo): string {
    const val = info.provenance.valNatsPerChar;
    const mean = meanNatsPerChar(val);
    const splits = Object.entries(val ?? {}).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    return mean === null
      ? 'How surprised the model is by text it never saw, per character: not measured for these weights.'
      : `${mean.toFixed(2)} nats per character on held-out text (text it never trained on): how surprised the model is by each character, on average. Lower is better; a model that guessed uniformly among 256 bytes would score 5.55. By source: ${splits}.`;
  }

  override render() {
    const info = this.info;
    // The figures' row is there from the first frame, dashes until the model is in, so nothing
    // below it moves when they arrive.
    const dash = html`<dd>—</dd>`;
    return html`<header>
        <h1>SOMA</h1>
        <p class="tagline">a byte-level mixture of experts, running in this tab</p>
      </header>
      <dl aria-label="The model">
        <div><dt>model in use</dt><dd class="in-use">${info ? this.modelLabel : '—'}</dd></div>
        <div><dt>engine</dt><dd class="activity">${DOING[this.activity]}</dd></div>
        <div><dt><soma-term term="params" explain="The numbers the model learned${info ? `: ${grouped(info.params)} of them` : ''}."></soma-term></dt>${info ? html`<dd>${grouped(info.params)}</dd>` : dash}</div>
        <div><dt><soma-term term="weights" explain="The size of the model's file, downloaded once and kept on this device."></soma-term></dt>${info ? html`<dd>${megabytes(info.fileBytes)}</dd>` : dash}</div>
        <div><dt><soma-term term="experts" explain="Small specialist networks; for each byte, a router picks the one that predicts the next byte."></soma-term></dt>${info ? html`<dd>${info.config.experts}</dd>` : dash}</div>
        <div><dt><soma-term term="nats/char" explain=${info ? this.natsExplained(info) : 'How surprised the model is by text it never saw, per character: lower is better.'}></soma-term></dt>${info ? this.natsPerChar(info) : dash}</div>
      </dl>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-model-header': SomaModelHeader;
  }
}
