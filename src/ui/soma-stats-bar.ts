// The live figures of a generation: speed, context, how the experts share the load, the model's
// uncertainty (entropy) and surprise (bits) at recent bytes, memory, and the backend.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Backend, EngineStats } from '../engine/protocol';
import './soma-sparkline';
import './soma-term';
import { RECENT_BYTES } from './generation-insight';
import { grouped, megabytes } from './units';

const dash = '—';

@customElement('soma-stats-bar')
export class SomaStatsBar extends LitElement {
  @property({ attribute: false }) stats?: EngineStats;
  @property() backend?: Backend;
  @property({ type: Number }) memoryBytes?: number;
  @property({ type: Number }) experts = 16;
  @property({ attribute: false }) shares: number[] = [];
  @property({ type: Number }) evenness: number | null = null;
  @property({ attribute: false }) entropy: number[] = [];
  @property({ type: Number }) bits: number | null = null;
  @property({ type: Number }) meanBits: number | null = null;

  static override styles = css`
    :host {
      display: block;
      font: 0.8125rem/1.4 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
      color: var(--fg);
    }
    dl {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.4rem 1.1rem;
      margin: 0;
      padding: 0.5rem 0.75rem;
      border: 1px solid var(--border);
      border-radius: 0.75rem;
      background: var(--panel);
      font-variant-numeric: tabular-nums;
      min-height: 4.6rem; /* two rows, kept before the figures arrive: the page below stays put */
      box-sizing: border-box;
    }
    dl > div {
      display: flex;
      align-items: center;
      gap: 0.4rem;
      min-height: 1.6rem;
    }
    dt {
      color: var(--muted);
    }
    dd {
      margin: 0;
    }
    .entropy {
      color: var(--accent);
    }
  `;

  private loadLabel(): string {
    if (this.evenness === null) return 'expert load: no bytes yet';
    let top = 0;
    this.shares.forEach((s, i) => (s > this.shares[top] ? (top = i) : 0));
    return `expert load over ${this.experts} experts: evenness ${(this.evenness * 100).toFixed(0)}%, busiest expert ${top} with ${(this.shares[top] * 100).toFixed(0)}%`;
  }

  override render() {
    const s = this.stats;
    const lastEntropy = this.entropy.at(-1);
    return html`<dl aria-label="Generation stats">
      <div><dt><soma-term term="tok/s" explain="Bytes written per second in this tab, by the engine alone."></soma-term></dt><dd>${s && s.generated > 0 ? grouped(s.tokPerSec) : dash}</dd></div>
      <div><dt><soma-term term="ms/tok" explain="Milliseconds the engine spends on each byte it writes."></soma-term></dt><dd>${s && s.generated > 0 ? s.msPerTok.toFixed(3) : dash}</dd></div>
      <div><dt><soma-term term="ctx" explain="Context: how many bytes the model has read so far in this run, prompt included. Its memory stays the same size however long this grows."></soma-term></dt><dd>${s ? `${grouped(s.contextBytes)} B` : dash}</dd></div>
      <div>
        <dt><soma-term term="load" explain="How the written bytes were shared among the experts: one bar per expert. The percentage is how evenly: 100% when every expert wrote as many bytes, 0% when one wrote them all."></soma-term></dt>
        <dd><soma-sparkline .values=${this.shares} .max=${Math.max(...this.shares, 1e-9)} .slots=${this.experts} experts label=${this.loadLabel()}></soma-sparkline></dd>
        <dd title="evenness: entropy of the experts' shares over its maximum">${this.evenness === null ? dash : `${(this.evenness * 100).toFixed(0)}%`}</dd>
      </div>
      <div>
        <dt><soma-term term="entropy" explain="How unsure the model was about each of the last 64 bytes, in bits: 0 when it was certain, 8 when any byte seemed equally likely."></soma-term></dt>
        <dd class="entropy"><soma-sparkline .values=${this.entropy} .max=${8} .slots=${RECENT_BYTES} label="entropy of the model's next-byte distribution over the last ${this.entropy.length} bytes, 0 to 8 bits${lastEntropy === undefined ? '' : `; latest ${lastEntropy.toFixed(2)} bits`}"></soma-sparkline></dd>
      </div>
      <div><dt><soma-term term="bits" explain="How surprised the model was by the byte it just wrote, in bits (lower: it expected it); in brackets, the average over this run."></soma-term></dt><dd title="surprisal of the chosen byte, −log2 p; mean over this generation in brackets">${this.bits === null ? dash : this.bits.toFixed(2)}${this.meanBits === null ? '' : ` (${this.meanBits.toFixed(2)})`}</dd></div>
      <div><dt><soma-term term="mem" explain="Memory the engine holds: the weights, the model's state and its scratch space."></soma-term></dt><dd>${s ? megabytes(s.memoryBytes) : this.memoryBytes ? megabytes(this.memoryBytes) : dash}</dd></div>
      <div><dt><soma-term term="backend" explain="The engine doing the arithmetic: wasm-simd (WebAssembly with vector instructions) or js (plain JavaScript, slower, same results)."></soma-term></dt><dd>${this.backend ?? dash}</dd></div>
    </dl>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-stats-bar': SomaStatsBar;
  }
}
