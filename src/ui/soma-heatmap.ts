// The scored text, each character tinted by its surprisal (bits, summed over its bytes), appended
// as text nodes as chunks arrive. Hover, tap, or focus the box and use the arrow keys to pick a
// character: the 'byte-pick' event says which byte (the character's first) the details should show.
import { LitElement, type PropertyValues, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { bytesText, utf8Length } from './byte-label';
import type { ScoreView } from './score-controller';
import { controls } from './theme';

export type BytePickEvent = CustomEvent<{ index: number }>;

/** Heat buckets: 0–1 bits, 1–2, … , 7 and above. */
const BUCKETS = 8;
/**
 * The characters go into blocks of about this many, each ended at a space or a line break. A block
 * is laid out and painted only near the view (content-visibility), so adding to the heatmap lays out
 * the new block, not every character above it: one box of 50,000 spans took the page 140 ms a layout.
 */
const BLOCK_CHARS = 1024;

@customElement('soma-heatmap')
export class SomaHeatmap extends LitElement {
  @property({ attribute: false }) view?: ScoreView;
  @query('#map') private box!: HTMLElement;
  private shownId = -1;
  private rendered = 0; // bytes shown so far
  private spans: HTMLSpanElement[] = [];
  private block: HTMLElement | null = null; // the block being filled
  private blockChars = 0;
  private active = -1; // index into spans

  static override styles = [
    controls,
    css`
      :host {
        display: block;
      }
      #map {
        min-height: 6rem;
        max-height: 50vh;
        overflow: auto;
        line-height: 1.7; /* room for the tints */
      }
      #map:empty::before {
        content: 'Score a text to see how surprised the model is by each character.';
        color: var(--muted);
      }
      .block {
        display: block;
        content-visibility: auto;
        contain-intrinsic-size: auto 6rem;
      }
      span {
        cursor: default;
        border-radius: 0.15rem;
      }
      .h0 { background: transparent; }
      .h1 { background: color-mix(in oklab, var(--danger) 10%, transparent); }
      .h2 { background: color-mix(in oklab, var(--danger) 20%, transparent); }
      .h3 { background: color-mix(in oklab, var(--danger) 30%, transparent); }
      .h4 { background: color-mix(in oklab, var(--danger) 42%, transparent); }
      .h5 { background: color-mix(in oklab, var(--danger) 55%, transparent); }
      .h6 { background: color-mix(in oklab, var(--danger) 68%, transparent); }
      .h7 { background: color-mix(in oklab, var(--danger) 82%, transparent); color: var(--accent-fg); } /* the page's text on it falls under 4.5:1 */
      span.active {
        outline: 2px solid var(--focus);
      }
      .scale {
        display: flex;
        gap: 0.25rem;
        align-items: center;
        margin-top: 0.4rem;
        font-size: 0.85rem;
        color: var(--muted);
      }
      .scale span {
        display: inline-block;
        min-width: 1.6rem;
        text-align: center;
        color: var(--fg);
      }
      .scale span.h7 {
        color: var(--accent-fg);
      }
    `,
  ];

  private restart(view: ScoreView): void {
    this.box.replaceChildren();
    this.shownId = view.id;
    this.rendered = 0;
    this.spans = [];
    this.block = null;
    this.blockChars = 0;
    this.active = -1;
  }

  /** Appends every whole character received so far (all of them once the scoring is done). */
  private appendChars(view: ScoreView): void {
    const frag = document.createDocumentFragment();
    for (let c = 0; c < view.chunks.length; c++) {
      const chunk = view.chunks[c];
      const end = chunk.start + chunk.bytes.length;
      if (end <= this.rendered) continue;
      let i = this.rendered - chunk.start;
      while (i < chunk.bytes.length) {
        const n = utf8Length(chunk.bytes[i]);
        if (i + n > chunk.bytes.length) {
          // A character cut by the chunk's end: take its bytes from the next chunk, if it is here.
          const next = view.chunks[c + 1]?.start === end;
          if (!next && !view.done) break;
        }
        const bytes = collect(view, c, chunk.start + i, n);
        let bits = 0;
        for (let k = 0; k < bytes.bits.length; k++) bits += bytes.bits[k];
        const span = document.createElement('span');
        span.className = `h${Math.min(BUCKETS - 1, Math.floor(bits))}`;
        span.dataset.i = String(chunk.start + i);
        span.dataset.k = String(this.spans.length);
        span.textContent = bytesText(bytes.bytes);
        if (!this.block || (this.blockChars >= BLOCK_CHARS && /\s/.test(this.spans.at(-1)!.textContent!)) || this.blockChars >= 2 * BLOCK_CHARS) {
          this.block = document.createElement('div');
          this.block.className = 'block';
          this.blockChars = 0;
          frag.append(this.block);
        }
        this.block.append(span);
        this.blockChars++;
        this.spans.push(span);
        i += bytes.bytes.length;
        this.rendered = chunk.start + i;
      }
      if (this.rendered < end) break;
    }
    this.box.append(frag);
  }

  protected override updated(changed: PropertyValues<this>): void {
    const view = this.view;
    if (!changed.has('view') || !view) return;
    if (view.id !== this.shownId) this.restart(view);
    this.appendChars(view);
  }

  private pick(k: number): void {
    if (k < 0 || k >= this.spans.length) return;
    this.spans[this.active]?.classList.remove('active');
    this.active = k;
    const span = this.spans[k];
    span.classList.add('active');
    this.dispatchEvent(new CustomEvent('byte-pick', { detail: { index: Number(span.dataset.i) }, bubbles: true, composed: true }));
  }

  private onPointer(e: Event): void {
    const k = (e.target as HTMLElement).dataset?.k;
    if (k !== undefined) this.pick(Number(k));
  }

  private onKey(e: KeyboardEvent): void {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const k = Math.max(0, Math.min(this.spans.length - 1, this.active + step));
    this.pick(k);
    this.spans[k]?.scrollIntoView({ block: 'nearest' });
  }

  override render() {
    return html`
      <div
        id="map"
        class="text-box"
        role="region"
        aria-label="Surprisal heatmap"
        aria-describedby="how"
        tabindex="0"
        @mouseover=${this.onPointer}
        @click=${this.onPointer}
        @focus=${() => this.active < 0 && this.pick(0)}
        @keydown=${this.onKey}
      ></div>
      <div class="scale" aria-hidden="true">
        bits: ${Array.from({ length: BUCKETS }, (_, b) => html`<span class="h${b}">${b === BUCKETS - 1 ? `${b}+` : b}</span>`)}
      </div>
      <p id="how" class="visually-hidden">Use the arrow keys to move from character to character; the details below follow.</p>
    `;
  }
}

/** n bytes from position i (in chunk `from`) on, across chunk boundaries (fewer at the end of what has arrived). */
function collect(view: ScoreView, from: number, i: number, n: number): { bytes: Uint8Array; bits: Float32Array } {
  const bytes: number[] = [];
  const bits: number[] = [];
  // A character is at most 4 bytes and chunks hold 16 or more (all but the last): two chunks hold it.
  for (let k = from; k < Math.min(view.chunks.length, from + 2); k++) {
    const c = view.chunks[k];
    for (let j = Math.max(0, i - c.start); j < c.bytes.length && bytes.length < n && c.start + j < i + n; j++) {
      bytes.push(c.bytes[j]);
      bits.push(c.bits[j]);
    }
  }
  // A stray continuation byte inside a "character" starts its own: keep only the lead run.
  let len = 1;
  while (len < bytes.length && bytes[len] >= 0x80 && bytes[len] < 0xc0) len++;
  return { bytes: Uint8Array.from(bytes.slice(0, len)), bits: Float32Array.from(bits.slice(0, len)) };
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-heatmap': SomaHeatmap;
  }
}
