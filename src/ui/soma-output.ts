// The streamed output. Bytes are decoded as UTF-8 and appended as text, never parsed as HTML.
// The text lives in segments of about SEGMENT_CHARS characters, each one text node, so a long
// output costs a few dozen nodes, not one per byte. "Colour by expert" paints only the segments
// in view (and a margin) as runs of one expert's bytes; a segment that scrolls away goes back to
// plain text, so the number of elements stays bounded however long the output grows. A segment
// that starts a line is a block of its own, so appending to the last one lays out that block
// alone, not every coloured run above it. The view follows the end without reading layout after
// writing it: both whether the reader is at the end and the scroll to the end are worked out once
// the browser has laid the new text out (a ResizeObserver's callback).
import { LitElement, type PropertyValues, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { Utf8Stream } from '../engine/protocol';
import type { GenerationView } from './engine-controller';
import { expertColors } from './expert-colors';
import { controls } from './theme';

/** Characters per segment: small enough that the segments in view hold a few thousand spans at most. */
export const SEGMENT_CHARS = 512;
/** A text with no line break is cut into inline segments of this size at most. */
const MAX_INLINE_CHARS = 4 * SEGMENT_CHARS;
/** Within this many pixels of the end, the reader is following it. */
const FOLLOW_SLACK_PX = 24;

interface Segment {
  el: HTMLSpanElement;
  text: string;
  experts: number[]; // one per run of one expert's text
  runs: string[];
  visible: boolean;
  painted: boolean; // shown as coloured runs (else as one text node)
}

@customElement('soma-output')
export class SomaOutput extends LitElement {
  @property({ attribute: false }) run?: GenerationView;
  @property({ type: Boolean }) colored = false;
  @query('#text') private box!: HTMLElement;
  /** The text itself, inside the scrolling box: its height grows as the text does. */
  @query('#content') private content!: HTMLElement;
  private shownRun = -1;
  private shownChunks = 0;
  private decoder = new Utf8Stream();
  private segments: Segment[] = [];
  private lastExpert = -1;
  private flushed = false;
  private observer?: IntersectionObserver;
  private resizes?: ResizeObserver;
  /** The reader is at the end: new text scrolls into view. */
  private following = true;
  private scrolled = false;
  /** The box's scroll height when the text last changed size. */
  private lastHeight = 0;

  static override styles = [
    controls,
    expertColors,
    css`
      :host {
        display: block;
      }
      #text {
        max-height: 60vh;
        overflow: auto;
      }
      .prompt {
        font-weight: 700;
      }
      .block {
        display: block; /* begins after a line break, so the break it makes was in the text already */
      }
      .block.painted {
        will-change: transform;
      }
      #content:empty::before {
        content: 'The generated text appears here.';
        color: var(--muted);
      }
    `,
  ];

  /** The text shown, prompt included, exactly as the page displays it. */
  get text(): string {
    return this.box?.textContent ?? '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
    this.observer = undefined;
    this.resizes?.disconnect();
    this.resizes = undefined;
  }

  protected override firstUpdated(): void {
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const seg = this.segments.find((s) => s.el === entry.target);
          if (!seg) continue;
          seg.visible = entry.isIntersecting;
          this.paint(seg);
        }
      },
      { root: this.box, rootMargin: '100px 0px' },
    );
    // Called after layout: reading the box's geometry here forces nothing, and the scroll needs no new
    // layout. A scroll since the last call (the reader's, or ours) says whether to follow, measured
    // against the text as it was then, before what was just added.
    this.resizes = new ResizeObserver(() => {
      if (this.scrolled) this.following = this.lastHeight - this.box.scrollTop - this.box.clientHeight < FOLLOW_SLACK_PX;
      this.scrolled = false;
      if (this.following) this.box.scrollTop = this.box.scrollHeight;
      this.lastHeight = this.box.scrollHeight;
    });
    this.resizes.observe(this.content);
    // Only noted: a read here could come after the segments' repaint and force a layout.
    this.box.addEventListener('scroll', () => (this.scrolled = true), { passive: true });
  }

  /** Shows a segment coloured when colour is on and it is in view, else as one text node. */
  private paint(seg: Segment, force = false): void {
    const want = this.colored && seg.visible;
    if (want === seg.painted && !force) return;
    seg.painted = want;
    seg.el.classList.toggle('painted', want);
    if (!want) {
      seg.el.replaceChildren(seg.text);
      return;
    }
    const frag = document.createDocumentFragment();
    seg.runs.forEach((text, i) => frag.append(this.runSpan(text, seg.experts[i])));
    seg.el.replaceChildren(frag);
  }

  private runSpan(text: string, expert: number): HTMLSpanElement {
    const span = document.createElement('span');
    span.className = `e e${expert}`;
    span.textContent = text;
    return span;
  }

  private newSegment(block: boolean): Segment {
    const el = document.createElement('span');
    if (block) el.className = 'block';
    el.append('');
    this.content.append(el);
    // A new segment starts where the reader is when they follow the end, so it starts in view.
    const seg: Segment = { el, text: '', experts: [], runs: [], visible: true, painted: false };
    this.segments.push(seg);
    this.observer?.observe(el);
    this.paint(seg);
    return seg;
  }

  private appendText(text: string, expert: number): void {
    if (!text) return;
    let seg = this.segments.at(-1);
    const nl = text.indexOf('\n');
    if (seg && seg.text.length >= SEGMENT_CHARS && nl >= 0 && nl < text.length - 1) {
      // Long enough: end this segment with its line, and start a block with the next.
      this.appendText(text.slice(0, nl + 1), expert);
      this.appendText(text.slice(nl + 1), expert);
      return;
    }
    const lineDone = !!seg?.text.endsWith('\n');
    if (!seg || (seg.text.length >= SEGMENT_CHARS && lineDone) || seg.text.length >= MAX_INLINE_CHARS) seg = this.newSegment(lineDone);
    seg.text += text;
    const sameRun = seg.runs.length > 0 && this.lastExpert === expert;
    if (sameRun) seg.runs[seg.runs.length - 1] += text;
    else {
      seg.runs.push(text);
      seg.experts.push(expert);
    }
    this.lastExpert = expert;
    if (!seg.painted) (seg.el.lastChild as Text).appendData(text);
    else if (sameRun) (seg.el.lastChild!.firstChild as Text).appendData(text);
    else seg.el.append(this.runSpan(text, expert));
  }

  private restart(run: GenerationView): void {
    this.observer?.disconnect();
    this.content.replaceChildren();
    if (run.prompt) {
      const prompt = document.createElement('span');
      prompt.className = 'prompt';
      prompt.textContent = run.prompt;
      this.content.append(prompt);
    }
    this.shownRun = run.id;
    this.shownChunks = 0;
    this.decoder = new Utf8Stream();
    this.segments = [];
    this.lastExpert = -1;
    this.flushed = false;
    this.following = true;
    this.scrolled = false;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('colored')) for (const seg of this.segments) this.paint(seg);
    const run = this.run;
    if (!changed.has('run') || !run) return;
    if (run.id !== this.shownRun) this.restart(run);
    for (; this.shownChunks < run.chunks.length; this.shownChunks++) {
      const { bytes, experts } = run.chunks[this.shownChunks];
      // Runs of bytes from one expert are one run of text. A character split between two
      // experts' bytes comes out of the decoder with the later run, and takes that expert's colour.
      let start = 0;
      for (let i = 1; i <= bytes.length; i++) {
        if (i < bytes.length && experts[i] === experts[start]) continue;
        this.appendText(this.decoder.push(bytes.subarray(start, i)), experts[start]);
        start = i;
      }
    }
    if (run.done && !this.flushed) {
      this.appendText(this.decoder.end(), this.lastExpert);
      this.flushed = true;
    }
  }

  override render() {
    return html`<div id="text" class="text-box ${this.colored ? 'colored' : ''}" role="region" aria-label="Generated text" tabindex="0"><div id="content"></div></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-output': SomaOutput;
  }
}
