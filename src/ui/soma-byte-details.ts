// One position of a scored text: the byte, its surprisal and expert, the 10 bytes the model found
// likeliest there, and the router's score for every expert. Text only.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { TOP_BYTES } from '../engine/protocol';
import { byteLabel } from './byte-label';
import { type ScoreView, locate } from './score-controller';
import { expertColors } from './expert-colors';
import { controls } from './theme';
import { grouped } from './units';

@customElement('soma-byte-details')
export class SomaByteDetails extends LitElement {
  @property({ attribute: false }) view?: ScoreView;
  @property({ type: Number }) index = -1;
  @property({ type: Number }) experts = 16;

  static override styles = [
    controls,
    expertColors,
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      .grid {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
      }
      h3 {
        margin: 0 0 0.3rem;
        font-size: 0.95rem;
      }
      ol {
        margin: 0;
        padding-left: 1.6rem;
        font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
      }
      .hit {
        font-weight: 700;
      }
      .muted {
        color: var(--muted);
      }
    `,
  ];

  override render() {
    const hit = this.view && this.index >= 0 ? locate(this.view, this.index) : null;
    if (!hit) return html`<p class="muted" aria-live="polite">Hover, tap or focus a character to see what the model expected there.</p>`;
    const { chunk, at } = hit;
    const K = this.experts;
    const byte = chunk.bytes[at];
    const expert = chunk.experts[at];
    const top = Array.from({ length: TOP_BYTES }, (_, j) => ({ b: chunk.topBytes[at * TOP_BYTES + j], p: chunk.topProbs[at * TOP_BYTES + j] }));
    const router = Array.from(chunk.router.subarray(at * K, (at + 1) * K));
    return html`
      <p aria-live="polite">
        Byte ${grouped(this.index)}: <strong>${byteLabel(byte)}</strong> — ${chunk.bits[at].toFixed(2)} bits of surprisal, predicted by
        <span class="colored"><span class="e e${expert}">expert ${expert}</span></span>.
      </p>
      <div class="grid">
        <section aria-label="Likeliest bytes here">
          <h3>The ${TOP_BYTES} likeliest bytes here</h3>
          <ol>
            ${top.map((t) => html`<li class=${t.b === byte ? 'hit' : ''}>${byteLabel(t.b)} ${(t.p * 100).toFixed(1)}%</li>`)}
          </ol>
          ${top.some((t) => t.b === byte) ? nothing : html`<p class="muted">The actual byte is not among them.</p>`}
        </section>
        <section aria-label="Router scores">
          <h3>Router scores (winner in bold)</h3>
          <ol start="0">
            ${router.map((s, e) => html`<li class=${e === expert ? 'hit' : ''}>expert ${e}: ${s.toFixed(3)}</li>`)}
          </ol>
        </section>
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-byte-details': SomaByteDetails;
  }
}
