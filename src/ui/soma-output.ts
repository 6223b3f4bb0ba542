// The streamed output. Bytes are decoded as UTF-8 and appended as text nodes, never parsed as
// HTML, in spans that carry their expert's colour class; "colour by expert" only switches a class
// on the container, so toggling it re-renders nothing. New chunks are appended, not re-rendered.
import { LitElement, type PropertyValues, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { Utf8Stream } from '../model/utf8';
import type { GenerationView } from './engine-controller';
import { expertColors } from './expert-colors';
import { controls } from './theme';

@customElement('soma-output')
export class SomaOutput extends LitElement {
  @property({ attribute: false }) run?: GenerationView;
  @property({ type: Boolean }) colored = false;
  @query('#text') private box!: HTMLElement;
  private shownRun = -1;
  private shownChunks = 0;
  private decoder = new Utf8Stream();
  private lastSpan: HTMLSpanElement | null = null;
  private lastExpert = -1;
  private flushed = false;

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
      #text:empty::before {
        content: 'The generated text appears here.';
        color: var(--muted);
      }
    `,
  ];

  /** The text shown, prompt included, exactly as the page displays it. */
  get text(): string {
    return this.box?.textContent ?? '';
  }

  private appendText(text: string, expert: number): void {
    if (!text) return;
    if (this.lastSpan && this.lastExpert === expert) {
      (this.lastSpan.firstChild as Text).appendData(text);
      return;
    }
    const span = document.createElement('span');
    span.className = `e e${expert}`;
    span.textContent = text;
    this.box.append(span);
    this.lastSpan = span;
    this.lastExpert = expert;
  }

  private restart(run: GenerationView): void {
    this.box.replaceChildren();
    if (run.prompt) {
      const prompt = document.createElement('span');
      prompt.className = 'prompt';
      prompt.textContent = run.prompt;
      this.box.append(prompt);
    }
    this.shownRun = run.id;
    this.shownChunks = 0;
    this.decoder = new Utf8Stream();
    this.lastSpan = null;
    this.lastExpert = -1;
    this.flushed = false;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const run = this.run;
    if (!changed.has('run') || !run) return;
    if (run.id !== this.shownRun) this.restart(run);
    const atBottom = this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 24;
    for (; this.shownChunks < run.chunks.length; this.shownChunks++) {
      const { bytes, experts } = run.chunks[this.shownChunks];
      // Runs of bytes from one expert share a span. A character split between two experts' bytes
      // comes out of the decoder with the later run, and takes that expert's colour.
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
    if (atBottom) this.box.scrollTop = this.box.scrollHeight;
  }

  override render() {
    return html`<div id="text" class="text-box ${this.colored ? 'colored' : ''}" role="region" aria-label="Generated text" tabindex="0"></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-output': SomaOutput;
  }
}
