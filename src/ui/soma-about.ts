// "What is this", "How it works", "How it runs here": short, and every figure read from the loaded
// model's header or measured in this tab.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelInfo } from '../engine/protocol';
import { flopsPerByte, macsPerByte } from '../model/config';
import type { StoreMode } from '../store/weights-store';
import { grouped, meanNatsPerChar, megabytes } from './units';

@customElement('soma-about')
export class SomaAbout extends LitElement {
  @property({ attribute: false }) info?: ModelInfo;
  @property({ attribute: false }) storage?: StoreMode;
  /** The engine runs in the page rather than a worker (opened from file://). */
  @property({ type: Boolean }) inPage = false;
  /** A service worker keeps the app for offline use (none runs for file:// or the dev server). */
  @property({ type: Boolean }) offline = false;
  /** Bytes per second of the last generation here, if any. */
  @property({ type: Number }) tokPerSec: number | null = null;

  static override styles = css`
    :host {
      display: block;
      line-height: 1.6;
    }
    section {
      margin-top: 1.5rem;
    }
    h2 {
      font-size: 1.15rem;
      margin: 0 0 0.4rem;
    }
    p {
      margin: 0 0 0.6rem;
      max-width: 42rem;
    }
    .n {
      font-variant-numeric: tabular-nums;
      font-weight: 600;
    }
  `;

  private whatIsThis(info: ModelInfo) {
    const p = info.provenance;
    const nats = meanNatsPerChar(p.valNatsPerChar);
    const training = p.trained
      ? html`It learned from forward passes alone — ${p.method.replace(/\.\s*$/, '')}: <span class="n">${grouped(p.steps)}</span> steps over
          <span class="n">${grouped(p.tokens)}</span> bytes${p.corpus ? html` of ${p.corpus}` : nothing}${nats === null
            ? nothing
            : html`, reaching <span class="n">${nats.toFixed(3)}</span> nats per character on held-out text`}.`
      : html`The weights loaded now have not been trained (their file says “${p.method}”), so what it writes is noise. The
          page works the same way when trained weights replace them.`;
    return html`<section>
      <h2>What is this</h2>
      <p>
        SOMA is a small language model that reads and writes raw bytes: no tokenizer, no vocabulary beyond the 256 byte
        values, so any UTF-8 text goes in and comes out. It runs entirely in this tab. ${training}
      </p>
    </section>`;
  }

  private howItWorks(info: ModelInfo) {
    const c = info.config;
    const macs = macsPerByte(c);
    return html`<section>
      <h2>How it works</h2>
      <p>
        Each byte becomes a vector of <span class="n">${c.embed}</span> numbers. A router, one LSTM of
        <span class="n">${c.routerHidden}</span> cells, reads the stream and scores <span class="n">${c.experts}</span> experts.
        Every expert is a two-layer LSTM of <span class="n">${c.expertHidden}</span> cells with layer norm, and every expert
        steps on every byte, so each keeps its own reading of the whole context. Only the expert the router ranks first
        turns its state into next-byte odds, through a GELU layer of <span class="n">${c.mlpHidden}</span>; the sampler then
        applies the repeat penalty, temperature, top-k and top-p, and draws.
      </p>
      <p>
        There is no attention, so memory stays the same however long the context grows. In all:
        <span class="n">${grouped(info.params)}</span> parameters, and <span class="n">${grouped(macs.total)}</span>
        multiply-adds (<span class="n">${grouped(flopsPerByte(c))}</span> FLOPs) per byte, most of them the experts' LSTMs.
      </p>
    </section>`;
  }

  private howItRunsHere(info: ModelInfo) {
    const where = this.inPage
      ? html`in the page itself (browsers start no worker for a page opened from file://)`
      : html`in a Web Worker, so the page stays responsive`;
    const kept =
      this.storage?.kind === 'indexeddb'
        ? html`were checked against the SHA-256 in their header and kept in IndexedDB, so a reload reads them from this device`
        : html`were checked against the SHA-256 in their header and are held in memory only (${this.storage?.reason ?? 'no storage'})`;
    const speed =
      this.tokPerSec && this.tokPerSec > 0
        ? html` The last generation ran at <span class="n">${grouped(this.tokPerSec)}</span> bytes per second, about
            <span class="n">${((this.tokPerSec * flopsPerByte(info.config)) / 1e9).toFixed(2)}</span> GFLOP/s.`
        : nothing;
    return html`<section>
      <h2>How it runs here</h2>
      <p>
        The model runs ${where}, on the <span class="n">${info.backend}</span> engine: WebAssembly SIMD kernels, or plain
        JavaScript that sums in the same order and so draws the same bytes for the same seed. The
        <span class="n">${megabytes(info.fileBytes)}</span> of weights ${kept}.
        ${this.offline
          ? html`A service worker keeps the page and its kernels, so after the first visit it opens and generates with the
              network off.`
          : html`No service worker keeps this copy of the page (see the note at the top), so it does not install for offline
              use.`}${speed}
      </p>
      <p>
        Generating makes no network request, and nothing you type leaves this device: there is no telemetry of any kind,
        and the page's content security policy lets it connect to its own origin only.
      </p>
    </section>`;
  }

  override render() {
    const info = this.info;
    if (!info) return nothing;
    return html`${this.whatIsThis(info)} ${this.howItWorks(info)} ${this.howItRunsHere(info)}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-about': SomaAbout;
  }
}
