// The training time-lapse: a slider over snapshots of one training run, each writing from the same
// prompt and seed, so the user watches spelling and words emerge. State comes from the
// TimelapseController; samples are shown as text only.
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type BackendChoice, type Engine, type TimelapseFrame, type TimelapseIndex, fetchWeights } from '../engine/protocol';
import type { UiSettings } from './settings';
import { TIMELAPSE_BYTES, TimelapseController } from './timelapse-controller';
import { controls, panel } from './theme';
import type { PrefetchState } from './timelapse-prefetch';
import { grouped } from './units';

/** An amount of training text, for the slider: "the start", then KB or MB. */
const textAmount = (bytes: number) => (bytes === 0 ? 'the start' : bytes < 1e6 ? `${(bytes / 1e3).toFixed(0)} KB` : `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`);

/** One frame in words: how far into training, and how well it did on held-out text. */
export function frameLabel(f: TimelapseFrame, i: number, index: TimelapseIndex): string {
  const when = f.tokens === 0 ? 'at the start, before any SPSA step' : `after ${textAmount(f.tokens)} of training text (${grouped(f.steps)} steps)`;
  const val = Object.entries(f.valNatsPerChar)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
  return `Frame ${i + 1} of ${index.frames.length}, ${when}; nats/char on the first ${textAmount(index.valBytes)} of held-out text: ${val}`;
}

@customElement('soma-timelapse-panel')
export class SomaTimelapsePanel extends LitElement {
  /** An engine of the time-lapse's own; absent where the page cannot fetch the frames (file://). */
  @property({ attribute: false }) engine?: Engine;
  @property() backend: BackendChoice = 'auto';
  @property({ attribute: false }) settings: UiSettings | null = null;
  /** The panel is on show: the index is fetched on the first showing. */
  @property({ type: Boolean }) active = false;
  /** Whether the frames are saved for offline use. */
  @property({ attribute: false }) offline: PrefetchState = { kind: 'waiting' };
  @state() private prompt = 'The ';
  @state() private seed = 1;
  /** Why the seed typed was refused ('' when it was taken). */
  @state() private seedHint = '';
  private readonly timelapse = new TimelapseController(this, () => (this.engine ? { engine: this.engine, backend: this.backend, fetchFile: (path) => fetchWeights(path, () => {}) } : undefined));

  static override styles = [
    controls,
    panel,
    css`
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: end;
      }
      .row label {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      .seed {
        width: 8rem;
      }
      .scrub {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
      }
      input[type='range'] {
        width: 100%;
        accent-color: var(--accent);
      }
      .ticks {
        display: flex;
        justify-content: space-between;
        margin: 0;
        padding: 0;
        list-style: none;
        font-size: 0.8rem;
        color: var(--muted);
        font-variant-numeric: tabular-nums;
      }
      .frame {
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      .prompt {
        font-weight: 700;
      }
    `,
  ];

  private request() {
    return this.settings ? { prompt: this.prompt, seed: this.seed, settings: this.settings } : null;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.active || !this.engine) return;
    if (!this.timelapse.index) {
      if (!this.timelapse.error || changed.has('active')) this.open(); // shown again after a failure: try again
    } else if (changed.has('settings') || changed.has('active')) this.show(this.timelapse.selected); // a no-op when its sample is there or on its way
  }

  private open(): void {
    void this.timelapse.open().then(() => this.show(this.timelapse.selected));
  }

  private show(frame: number): void {
    const r = this.request();
    if (r) void this.timelapse.select(frame, r);
  }

  private onPrompt(e: Event): void {
    this.prompt = (e.target as HTMLInputElement).value;
    this.show(this.timelapse.selected);
  }

  private onSeed(e: Event): void {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      this.seedHint = `Seed must be a whole number from 0 to 4,294,967,295: ${input.value.trim() || 'nothing'} is refused, and seed ${this.seed} is still in use.`;
      return;
    }
    this.seedHint = '';
    this.seed = v;
    this.show(this.timelapse.selected);
  }

  private offlineLine() {
    const o = this.offline;
    if (o.kind === 'saved') return html`<p class="muted">All ${o.total} frames are saved on this device: the time-lapse works offline.</p>`;
    if (o.kind === 'saving') return html`<p class="muted">Saving the frames for offline use: ${o.done} of ${o.total}.</p>`;
    if (o.kind === 'no-room' || o.kind === 'failed') return html`<p class="error">The time-lapse will not work offline: ${o.reason}.</p>`;
    return nothing;
  }

  override render() {
    if (!this.engine)
      return html`<p class="muted">The time-lapse fetches its frames from the site, and a page opened from a file may not fetch. Serve the app (for example with <code>python3 -m http.server</code>) to see it.</p>`;
    const t = this.timelapse;
    if (t.error) return html`<p class="error" role="alert">${t.error}</p><div><button @click=${this.open}>Try again</button></div>`;
    if (!t.index) return html`<p class="muted" role="status">Reading the time-lapse…</p>`;
    const frames = t.index.frames;
    const f = frames[t.selected];
    const r = this.request();
    const sample = r ? t.sample(t.selected, r) : undefined;
    const label = frameLabel(f, t.selected, t.index);
    return html`
      <p class="muted">
        SOMA learned from scratch with forward passes only. These are ${frames.length} snapshots of one training run, log-spaced from its start to its end.
        At each, the model writes ${TIMELAPSE_BYTES} bytes from the same prompt and seed: scrub to watch spelling and words emerge.
      </p>
      ${this.offlineLine()}
      <div class="row">
        <label>Prompt <input type="text" .value=${this.prompt} @change=${this.onPrompt} /></label>
        <label>Seed <input class="seed" type="number" min="0" max="4294967295" step="1" .value=${String(this.seed)} aria-invalid=${this.seedHint ? 'true' : 'false'} aria-describedby="seed-hint" @change=${this.onSeed} /></label>
        ${t.playing
          ? html`<button @click=${() => t.stopPlaying()}>Stop</button>`
          : html`<button ?disabled=${!r} @click=${() => void t.play(() => this.request())}>Play from the start</button>`}
      </div>
      ${this.seedHint ? html`<p id="seed-hint" class="error" role="alert">${this.seedHint}</p>` : nothing}
      ${r ? nothing : html`<p class="error" role="alert">The time-lapse waits for valid settings.</p>`}
      <div class="scrub">
        <input
          type="range"
          aria-label="Training progress"
          min="0"
          max=${frames.length - 1}
          step="1"
          .value=${String(t.selected)}
          aria-valuetext=${label}
          @input=${(e: Event) => {
            t.stopPlaying(); // the user takes over
            this.show(Number((e.target as HTMLInputElement).value));
          }}
        />
        <ol class="ticks" aria-hidden="true">
          ${frames.map((fr) => html`<li>${fr.tokens === 0 ? '0' : textAmount(fr.tokens).replace(' ', '')}</li>`)}
        </ol>
      </div>
      <p class="frame" role="status">${label}</p>
      <details>
        <summary>How this run trained</summary>
        <p class="muted">${t.index.run}</p>
      </details>
      ${sample?.error ? html`<p class="error" role="alert">${sample.error}</p>` : nothing}
      <div
        class="text-box"
        role="region"
        aria-label="Sample at this point of training"
        aria-busy=${sample && !sample.done ? 'true' : 'false'}
        data-state=${!sample ? 'waiting' : sample.error ? 'failed' : sample.done ? 'done' : 'writing'}
      ><span class="prompt">${this.prompt}</span>${sample?.text ?? ''}</div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-timelapse-panel': SomaTimelapsePanel;
  }
}
