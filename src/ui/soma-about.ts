// "What is this", "How it works", "How it runs here", for a curious reader who knows no machine
// learning: short sentences, one idea each. The technical record (the training method, the shapes,
// the engine) sits in a collapsed "Details" part; every figure is read from the loaded model's
// header or measured in this tab. The method's full record is in the README and docs/training.md.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { flopsPerByte, macsPerByte, type ModelInfo } from '../engine/protocol';
import type { StoreMode } from '../engine/protocol';
import { grouped, meanNatsPerChar, megabytes } from './units';

/** What the winning expert's decoder reads, by the config's decoderInput. */
const DECODER_READS: Record<ModelInfo['config']['decoderInput'], string> = {
  h2: 'its second layer\'s normed state',
  'h2+h1+x': 'both its layers\' normed states and the embedding of the byte just read',
  'h2+h1+x+r': 'both its layers\' normed states, the embedding of the byte just read and the router\'s state',
};

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
    details {
      margin-top: 1rem;
      max-width: 42rem;
    }
    summary {
      cursor: pointer;
      font-weight: 600;
      min-height: 2rem;
    }
    summary:focus-visible {
      outline: 3px solid var(--focus);
      outline-offset: 2px;
    }
  `;

  private whatIsThis(info: ModelInfo) {
    const p = info.provenance;
    const nats = meanNatsPerChar(p.valNatsPerChar);
    return html`<section>
      <h2>What is this</h2>
      <p>SOMA is a small program that writes text, one letter at a time.</p>
      ${p.trained && p.tokens >= 1e6 ? html`<p>It learned by reading about <span class="n">${(p.tokens / 1e6).toFixed(0)} million</span> letters of real text.</p>` : nothing}
      <p>It runs entirely in this tab. Nothing you type leaves your device.</p>
      ${p.trained
        ? html`<p>
            It is still a beginner. It writes the shapes of English words and sentences, but not yet their sense.${nats === null
              ? nothing
              : html` On text it never saw, it is about <span class="n">${nats.toFixed(2)}</span> nats per character “surprised”: lower is better.`}
          </p>`
        : html`<p>The model loaded now has not learned anything yet, so what it writes is noise.</p>`}
    </section>`;
  }

  private howItWorks(info: ModelInfo) {
    return html`<section>
      <h2>How it works</h2>
      <p>Text is a row of bytes: numbers from 0 to 255. The model reads them one by one.</p>
      <p>After each byte, it guesses how likely every possible next byte is.</p>
      <p>To write, it picks one byte by chance, following those odds, then reads it and guesses again.</p>
      <p>Inside are <span class="n">${info.config.experts}</span> small “experts”. A router picks one of them to make each guess.</p>
      <p>${info.config.decoderInput === 'h2'
        ? 'The chosen expert guesses from what it remembers of the text so far.'
        : 'The chosen expert guesses from what it remembers of the text so far, and from the byte it has just read.'}</p>
      <p>It learned without the usual trick of working backwards through its own arithmetic. It nudged its numbers at random, kept the nudges that made it less surprised, and repeated that millions of times.</p>
      ${info.provenance.softTargets
        ? html`<p>Toward the end, it also copied a much simpler model: a table that counts which letter follows each run of four letters in the same text. Its guesses were then judged partly against that table's odds, not only against the letter that came next.</p>`
        : nothing}
    </section>`;
  }

  private howItRunsHere() {
    const speed =
      this.tokPerSec && this.tokPerSec > 0 ? html`<p>Your last text came out at <span class="n">${grouped(this.tokPerSec)}</span> letters per second.</p>` : nothing;
    return html`<section>
      <h2>How it runs here</h2>
      <p>The model is a file of ${this.info ? megabytes(this.info.fileBytes) : 'a few MB'}. Your browser downloaded it once and keeps it on this device.</p>
      <p>${this.offline ? 'After the first visit, the page works without a network.' : 'This copy of the page does not install for use without a network (see the note at the top).'}</p>
      <p>The arithmetic runs ${this.inPage ? 'in the page itself' : 'in the background, so the page stays responsive'}.</p>
      ${speed}
      <p>There is no tracking of any kind, and writing makes no network request.</p>
    </section>`;
  }

  private details(info: ModelInfo) {
    const p = info.provenance;
    const c = info.config;
    const macs = macsPerByte(c);
    const nats = meanNatsPerChar(p.valNatsPerChar);
    const splits = Object.entries(p.valNatsPerChar ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    const kept =
      this.storage?.kind === 'indexeddb'
        ? 'checked against the SHA-256 in their header and kept in IndexedDB'
        : `checked against the SHA-256 in their header and held in memory only (${this.storage?.reason ?? 'no storage'})`;
    return html`<details>
      <summary>Details</summary>
      <p>
        Training: ${p.method.replace(/\.\s*$/, '')}. <span class="n">${grouped(p.steps)}</span> steps over
        <span class="n">${grouped(p.tokens)}</span> bytes${p.corpus ? html` of ${p.corpus}` : nothing}${nats === null
          ? nothing
          : html`; held-out nats/char <span class="n">${nats.toFixed(3)}</span> (${splits})`}.
      </p>
      <p>
        The model: byte embedding of <span class="n">${c.embed}</span>; a router LSTM of <span class="n">${c.routerHidden}</span> scoring
        <span class="n">${c.experts}</span> experts; each expert a two-layer LSTM of <span class="n">${c.expertHidden}</span> with layer norm,
        stepping on every byte; the router's first choice decodes ${DECODER_READS[c.decoderInput]} through a GELU layer of
        <span class="n">${c.mlpHidden}</span> into next-byte logits. Sampling: repeat penalty, temperature, top-k, top-p. No attention: constant memory.
        <span class="n">${grouped(info.params)}</span> parameters, <span class="n">${grouped(macs.total)}</span> multiply-adds
        (<span class="n">${grouped(flopsPerByte(c))}</span> FLOPs) per byte.
      </p>
      <p>
        The engine: <span class="n">${info.backend}</span>, ${this.inPage ? 'in the page (no worker starts from file://)' : 'in a Web Worker'}; WebAssembly SIMD
        kernels, or plain JavaScript summing in the same order (the same seed draws the same bytes). The
        <span class="n">${megabytes(info.fileBytes)}</span> of weights were ${kept}. ${this.offline ? 'A service worker keeps the page and its kernels.' : 'No service worker keeps this copy of the page.'}
        The content security policy lets the page connect to its own origin only.
      </p>
    </details>`;
  }

  override render() {
    const info = this.info;
    if (!info) return nothing;
    return html`${this.whatIsThis(info)} ${this.howItWorks(info)} ${this.howItRunsHere()} ${this.details(info)}`;
  }
}


declare global {
  interface HTMLElementTagNameMap {
    'soma-about': SomaAbout;
  }
}
