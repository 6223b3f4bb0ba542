// The page: it wires the controllers (weights, engine, settings, service worker) to the components
// and lays them out. Each component shows one thing; this one decides what to show.
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AppShell } from '../boot/service-worker';
import type { BackendChoice, Engine } from '../engine/protocol';
import { EngineController } from './engine-controller';
import type { SettingInputEvent } from './soma-controls';
import type { SomaOutput } from './soma-output';
import type { SomaScorePanel } from './soma-score-panel';
import type { GenerateEvent } from './soma-prompt';
import type { WeightsFileEvent } from './soma-weights-picker';
import { SettingsController } from './settings-controller';
import { ShellController } from './shell-controller';
import { controls } from './theme';
import { type WeightsSetup, WeightsController } from './weights-controller';
import './soma-about';
import './soma-controls';
import './soma-copy-button';
import './soma-expert-legend';
import './soma-load-progress';
import './soma-model-header';
import './soma-notices';
import './soma-output';
import './soma-prompt';
import './soma-score-panel';
import './soma-teach-panel';
import './soma-timelapse-panel';
import './soma-stats-bar';
import './soma-weights-picker';

type Mode = 'generate' | 'score' | 'teach' | 'timelapse';
const MODES: [Mode, string][] = [['generate', 'Write'], ['score', 'Score'], ['teach', 'Teach it'], ['timelapse', 'Time-lapse']];

/** What the page is given at start-up (src/main.ts). */
export interface AppServices {
  engine: Engine;
  /** The time-lapse's own engine, so the page's model stays loaded; absent from file://. */
  timelapseEngine?: Engine;
  backend: BackendChoice;
  /** The engine runs in the page, not in a worker (a page opened from file://). */
  inPage: boolean;
  weights: Omit<WeightsSetup, 'load'>;
  shell: AppShell;
}

@customElement('soma-app')
export class SomaApp extends LitElement {
  @property({ attribute: false }) services?: AppServices;
  @state() private colored = false;
  @state() private mode: Mode = 'generate';
  @query('soma-output') private output?: SomaOutput;
  @query('soma-score-panel') private scorePanel?: SomaScorePanel;
  private readonly settings = new SettingsController(this);
  private engine?: EngineController;
  private weights?: WeightsController;
  private shell?: ShellController;

  static override styles = [
    controls,
    css`
      :host {
        display: block;
        max-width: 68rem;
        margin: 0 auto;
        padding: 1rem 1rem 3rem;
      }
      .top {
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
        margin-bottom: 1.25rem;
      }
      .layout {
        display: grid;
        gap: 1rem;
      }
      .work,
      .side {
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
        min-width: 0;
      }
      @media (min-width: 60rem) {
        .layout {
          grid-template-columns: minmax(0, 1fr) 19rem;
          align-items: start;
        }
      }
      .status {
        margin: 0;
        min-height: 1.5rem;
        color: var(--muted);
      }
      .error {
        margin: 0;
        color: var(--danger);
        overflow-wrap: anywhere;
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
      .generate {
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
      }
      .modes {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
      }
      .modes button {
        white-space: nowrap;
      }
      .modes button[aria-pressed='true'] {
        border-color: var(--accent);
        box-shadow: inset 0 -3px 0 var(--accent);
        font-weight: 600;
      }
      [hidden] {
        display: none !important;
      }
      .toggle input {
        width: 1.1rem;
        height: 1.1rem;
        accent-color: var(--accent);
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('services') || !this.services || this.engine) return;
    const { engine, backend, weights, shell } = this.services;
    this.engine = new EngineController(this, engine);
    this.shell = new ShellController(this, shell);
    this.weights = new WeightsController(this, {
      ...weights,
      load: async (bytes) => {
        await this.engine!.load(bytes, backend);
      },
    });
    void this.weights.start();
  }

  private onGenerate(e: GenerateEvent): void {
    const settings = this.settings.value;
    if (settings) void this.engine?.generate(e.detail.prompt, settings);
  }

  /** What the page is doing, in one line. */
  private statusLine(): string {
    const w = this.weights;
    const en = this.engine;
    if (!w || !en) return 'Starting…';
    switch (w.phase) {
      case 'checking':
        return 'Looking for the model on this device…';
      case 'downloading':
        return 'Downloading the model…';
      case 'verifying':
        return 'Checking soma.bin against its SHA-256…';
      case 'loading':
        return 'Loading the model…';
      case 'need-file':
        return 'Waiting for soma.bin.';
    }
    if (en.running) return 'Generating…';
    const done = en.run?.done;
    if (done?.stats && done.reason !== 'failed')
      return `Generated ${done.stats.generated.toLocaleString('en')} bytes in ${(done.stats.ms / 1000).toFixed(2)} s${done.reason === 'stopped' ? ' (stopped)' : ''}.`;
    return `Ready: ${en.loaded?.info.backend ?? ''} engine.`;
  }

  private weightsPanel() {
    const w = this.weights;
    if (!w || w.phase === 'ready') return nothing;
    if (w.phase === 'need-file')
      return html`<soma-weights-picker .reason=${w.problem ?? ''} @weights-file=${(e: WeightsFileEvent) => void w.useFile(e.detail.file)}></soma-weights-picker>`;
    if (w.phase === 'downloading') return html`<soma-load-progress label="Downloading soma.bin:" .loaded=${w.progress.loaded} .total=${w.progress.total}></soma-load-progress>`;
    return nothing;
  }

  private scoreGenerated(): void {
    this.mode = 'score';
    this.scorePanel?.scoreText(this.output?.text ?? '');
  }

  override render() {
    const en = this.engine;
    const w = this.weights;
    const info = en?.loaded?.info;
    const insight = en?.insight;
    const ready = w?.phase === 'ready' && !!info;
    const mode = this.mode;
    const blockedBy = !ready ? 'Generate waits for the model.' : !this.settings.value ? 'Generate waits for valid settings.' : '';
    return html`
      <div class="top">
        <soma-model-header .info=${info}></soma-model-header>
        <soma-notices
          .shell=${this.shell?.state}
          .storage=${w?.storage}
          ?weightsReady=${ready}
          ?weightsStored=${!!w?.stored}
          .note=${w?.note ?? ''}
          @apply-update=${() => this.shell?.applyUpdate()}
        ></soma-notices>
      </div>
      <div class="layout">
        <main class="work">
          ${this.weightsPanel()}
          <nav class="modes" aria-label="Mode">
            ${MODES.map(([m, label]) => html`<button aria-pressed=${m === mode ? 'true' : 'false'} @click=${() => (this.mode = m)}>${label}</button>`)}
          </nav>
          <soma-score-panel ?hidden=${mode !== 'score'} .engine=${this.services?.engine} ?blocked=${!ready || !!en?.running} .experts=${info?.config.experts ?? 16}></soma-score-panel>
          <soma-teach-panel
            ?hidden=${mode !== 'teach'}
            .engine=${this.services?.engine}
            .store=${this.services?.weights.store}
            .original=${ready ? info!.sha256 : ''}
            ?blocked=${!ready || !!en?.running}
          ></soma-teach-panel>
          <soma-timelapse-panel
            ?hidden=${mode !== 'timelapse'}
            ?active=${mode === 'timelapse'}
            .engine=${this.services?.timelapseEngine}
            .backend=${this.services?.backend ?? 'auto'}
            .settings=${this.settings.value}
          ></soma-timelapse-panel>
          <div class="generate" ?hidden=${mode !== 'generate'}>
          <soma-prompt
            ?blocked=${!!blockedBy}
            ?running=${!!en?.running}
            .reason=${blockedBy}
            @generate=${this.onGenerate}
            @stop=${() => en?.stop()}
          ></soma-prompt>
          <p class="status" role="status">${this.statusLine()}</p>
          ${en?.error ? html`<p class="error" role="alert">${en.error}</p>` : nothing}
          <div class="tools">
            <label class="toggle"><input type="checkbox" .checked=${this.colored} @change=${(e: Event) => (this.colored = (e.target as HTMLInputElement).checked)} />colour by expert</label>
            <span>
              <button ?disabled=${!en?.run || en.running} @click=${this.scoreGenerated}>Score this text</button>
              <soma-copy-button .source=${() => this.output?.text ?? ''} ?disabled=${!en?.run}></soma-copy-button>
            </span>
          </div>
          ${this.colored && info ? html`<soma-expert-legend .experts=${info.config.experts} .shares=${insight?.bytes ? insight.shares : []}></soma-expert-legend>` : nothing}
          <soma-output .run=${en?.run} ?colored=${this.colored}></soma-output>
          <soma-stats-bar
            .stats=${en?.stats}
            .backend=${info?.backend}
            .memoryBytes=${en?.loaded?.memoryBytes}
            .experts=${info?.config.experts ?? 16}
            .shares=${insight?.shares ?? []}
            .evenness=${insight?.evenness ?? null}
            .entropy=${insight?.recentEntropy ?? []}
            .bits=${insight?.lastBits ?? null}
            .meanBits=${insight?.meanBits ?? null}
          ></soma-stats-bar>
          </div>
        </main>
        <aside class="side" aria-label="Settings">
          <soma-controls
            .raw=${this.settings.raw}
            .hints=${this.settings.hints}
            @setting-input=${(e: SettingInputEvent) => this.settings.set(e.detail.key, e.detail.raw)}
            @settings-reset=${() => this.settings.reset()}
          ></soma-controls>
        </aside>
      </div>
      <soma-about
        .info=${info}
        .storage=${w?.storage}
        ?inPage=${!!this.services?.inPage}
        ?offline=${this.shell?.state.kind !== 'unsupported' && this.shell?.state.kind !== 'failed'}
        .tokPerSec=${en?.stats?.tokPerSec ?? null}
      ></soma-about>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'soma-app': SomaApp;
  }
}
