// Write mode: the prompt, the model in use (one click to switch), the status line, the output and
// its tools, and the live stats. Everything comes down as properties; what the user asks for goes
// up as events (generate, stop, score-text, choose-model). The sampling controls come in through
// the "settings" slot on a phone, right under the prompt.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { EngineStats, ModelInfo } from '../engine/protocol';
import type { GenerationView } from './engine-controller';
import type { InsightFigures } from './generation-insight';
import type { SomaOutput } from './soma-output';
import type { SomaPrompt } from './soma-prompt';
import { controls, panel } from './theme';
import { bytesWord, grouped } from './units';
import './soma-copy-button';
import './soma-expert-legend';
import './soma-load-progress';
import './soma-output';
import './soma-prompt';
import './soma-stats-bar';

const kb = (n: number) => grouped(n / 1000);

@customElement('soma-write-panel')
export class SomaWritePanel extends LitElement {
  @property({ attribute: false }) info?: ModelInfo;
  @property({ attribute: false }) run?: GenerationView;
  @property({ attribute: false }) stats?: EngineStats;
  @property({ attribute: false }) insight?: InsightFigures;
  @property({ type: Number }) memoryBytes?: number;
  @property({ type: Boolean }) running = false;
  @property({ type: Boolean }) stopping = false;
  /** Why Generate waits ('' when it can go). */
  @property() blockedBy = '';
  /** What the page is doing before the model is ready ('' once it is). */
  @property() waiting = '';
  /** soma.bin on its way: shown in the status line's place, so the page does not move. */
  @property({ attribute: false }) download: { loaded: number; total: number | null } | null = null;
  @property() error = '';
  /** The model in use, in words; and the tuned copy there is to switch to, if any. */
  @property() modelLabel = 'original';
  @property() tunedLabel = '';
  @property({ type: Boolean }) tunedActive = false;
  /** Why the model cannot be switched now ('' when it can). */
  @property() switchBlockedBy = '';
  @state() private colored = false;
  @query('soma-output') private output?: SomaOutput;
  @query('soma-prompt') private prompt?: SomaPrompt;

  static override styles = [
    controls,
    panel,
    css`
      .status,
      .model {
        margin: 0;
        min-height: 1.5rem;
        color: var(--muted);
      }
      .model strong {
        color: var(--fg);
      }
      .model button {
        margin-left: 0.5rem;
        min-height: 2rem;
        padding: 0.15rem 0.75rem;
      }
      .tools {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem;
      }
      .toggle {
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
        min-height: 2.5rem;
        cursor: pointer;
      }
      .toggle input {
        width: 1.1rem;
        height: 1.1rem;
        accent-color: var(--accent);
      }
    `,
  ];

  /** The text shown, prompt included. */
  get text(): string {
    return this.output?.text ?? '';
  }

  /** Generates from the prompt as it is (Ctrl+Enter anywhere in Write). */
  submit(): void {
    this.prompt?.submit();
  }

  private emit(name: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  /** What the page is doing, in one line: what the user sees, timed as they saw it. */
  private statusLine(): string {
    if (this.waiting) return this.waiting;
    const run = this.run;
    if (this.stopping) return 'Stopping…';
    if (this.running && run?.reading) return `Reading the prompt: ${kb(run.reading.read)} of ${kb(run.reading.total)} KB…`;
    if (this.running) return 'Generating…';
    const done = run?.done;
    if (done && done.reason !== 'failed')
      return `Generated ${bytesWord(run.bytes)} in ${(done.shownMs / 1000).toFixed(2)} s${done.reason === 'stopped' ? ' (stopped)' : ''}.`;
    return `Ready: ${this.info?.backend ?? ''} engine.`;
  }

  private modelLine() {
    if (!this.info) return html`<p class="model">Writing with: …</p>`; // its room kept, so nothing below moves
    const other = this.tunedActive ? 'Use the original' : this.tunedLabel ? `Use the tuned model (${this.tunedLabel})` : '';
    return html`<p class="model">
      Writing with: <strong id="model-in-use">${this.modelLabel}</strong>
      ${other
        ? html`<button
            ?disabled=${!!this.switchBlockedBy}
            title=${this.switchBlockedBy || nothing}
            aria-describedby="model-in-use"
            @click=${() => this.emit('choose-model', { which: this.tunedActive ? 'original' : 'tuned' })}
          >${other}</button>${this.switchBlockedBy ? html` <span>${this.switchBlockedBy}</span>` : nothing}`
        : html` <span>(Teach it makes a tuned copy.)</span>`}
    </p>`;
  }

  override render() {
    const info = this.info;
    const insight = this.insight;
    const run = this.run;
    return html`
      <soma-prompt ?blocked=${!!this.blockedBy} ?running=${this.running} .reason=${this.blockedBy} @stop=${() => this.emit('stop')}></soma-prompt>
      <slot name="settings"></slot>
      ${this.modelLine()}
      <p class="status" role="status">${this.download
          ? html`<soma-load-progress label="Downloading soma.bin:" .loaded=${this.download.loaded} .total=${this.download.total}></soma-load-progress>`
          : this.statusLine()}</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="tools">
        <label class="toggle"><input type="checkbox" .checked=${this.colored} @change=${(e: Event) => (this.colored = (e.target as HTMLInputElement).checked)} />colour by expert</label>
        <span>
          <button ?disabled=${!run || this.running} @click=${() => this.emit('score-text', { text: this.text })}>Score this text</button>
          <soma-copy-button .source=${() => this.text} ?disabled=${!run}></soma-copy-button>
        </span>
      </div>
      ${this.colored && info ? html`<soma-expert-legend .experts=${info.config.experts} .shares=${insight?.bytes ? insight.shares : []}></soma-expert-legend>` : nothing}
      <soma-output .run=${run} ?colored=${this.colored}></soma-output>
      <soma-stats-bar
        .stats=${this.stats}
        .backend=${info?.backend}
        .memoryBytes=${this.memoryBytes}
        .experts=${info?.config.experts ?? 16}
        .shares=${insight?.shares ?? []}
        .evenness=${insight?.evenness ?? null}
        .entropy=${insight?.recentEntropy ?? []}
        .bits=${insight?.lastBits ?? null}
        .meanBits=${insight?.meanBits ?? null}
      ></soma-stats-bar>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-write-panel': SomaWritePanel;
  }
}
