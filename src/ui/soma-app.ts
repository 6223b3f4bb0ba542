// The page: it wires the controllers (weights, engine, settings, service worker) to the components
// and lays them out. Each component shows one thing; this one decides what to show. It owns the
// one EngineState every mode claims the engine through, and the page-wide keys: Ctrl+Enter
// generates in Write wherever the focus is, and Escape stops what runs.
import { LitElement, type PropertyValues, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { AppShell } from '../boot/service-worker';
import type { BackendChoice, Engine } from '../engine/protocol';
import { EngineController } from './engine-controller';
import { EngineState, EngineStateController, tunedDescription } from './engine-state';
import { MediaController } from './media-controller';
import type { SettingInputEvent } from './soma-controls';
import type { SomaScorePanel } from './soma-score-panel';
import type { GenerateEvent } from './soma-prompt';
import type { SomaWritePanel } from './soma-write-panel';
import type { WeightsFileEvent } from './soma-weights-picker';
import { SettingsController } from './settings-controller';
import { ShellController } from './shell-controller';
import { controls } from './theme';
import { PrefetchController, TimelapsePrefetch } from './timelapse-prefetch';
import { type WeightsSetup, WeightsController } from './weights-controller';
import './soma-about';
import './soma-controls';
import './soma-model-header';
import './soma-notices';
import './soma-score-panel';
import './soma-teach-panel';
import './soma-timelapse-panel';
import './soma-weights-picker';
import './soma-write-panel';

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
  weights: Omit<WeightsSetup, 'open'>;
  shell: AppShell;
}

/** Runs `fn` when the page is idle (within a second), or soon where the browser cannot say. */
const whenIdle = (fn: () => void): void => void ('requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 1000 }) : setTimeout(fn, 100));

/** How long after the first visit settles the time-lapse's frames start downloading. */
const PREFETCH_DELAY_MS = 3000;

@customElement('soma-app')
export class SomaApp extends LitElement {
  @property({ attribute: false }) services?: AppServices;
  @state() private mode: Mode = 'generate';
  /** The modes shown so far (their panels exist from then on, keeping their state). */
  private readonly shown = new Set<Mode>(['generate']);
  /** Teach's panel, made when the page is idle after the model is in (see updated()). */
  @state() private teachMade = false;
  private teachAsked = false;
  private prefetchAsked = false;
  private shellStarted = false;
  @query('soma-write-panel') private writePanel?: SomaWritePanel;
  @query('soma-score-panel') private scorePanel?: SomaScorePanel;
  private readonly settings = new SettingsController(this);
  private readonly wide = new MediaController(this, '(min-width: 60rem)');
  private readonly stateView = new EngineStateController(this);
  private engineState?: EngineState;
  private engine?: EngineController;
  private weights?: WeightsController;
  private shell?: ShellController;
  private readonly prefetch = new PrefetchController(this, new TimelapsePrefetch());

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
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('services') || !this.services || this.engine) return;
    const { engine, backend, weights, shell } = this.services;
    this.engineState = new EngineState(engine);
    this.stateView.follow(this.engineState);
    this.engine = new EngineController(this, this.engineState);
    this.shell = new ShellController(this, shell);
    this.weights = new WeightsController(this, {
      ...weights,
      open: (source, onProgress) => this.engine!.open(source, backend, onProgress),
    });
    void this.weights.start();
  }

  protected override updated(): void {
    // Teach's panel brings back a tuned copy from an earlier visit, so it is made without waiting
    // for Teach to be shown; but in a task of its own, not in the one that shows the loaded model.
    if (!this.teachAsked && this.weights?.phase === 'ready') {
      this.teachAsked = true;
      whenIdle(() => (this.teachMade = true));
    }
    // The service worker is registered once the model is in (or the page has asked for a file),
    // when the page is idle: its first install is work the start-up need not wait behind.
    if (!this.shellStarted && (this.weights?.phase === 'ready' || this.weights?.phase === 'need-file')) {
      this.shellStarted = true;
      whenIdle(() => this.shell?.start());
    }
    // Once the first visit has stored the app and the model, the time-lapse follows, in the
    // background: a few seconds later and when the page is idle, so its 7 MB do not compete with
    // the start-up for the network and the CPU.
    if (!this.prefetchAsked && this.shell?.state.kind === 'offline-ready' && this.weights?.stored && this.services?.timelapseEngine) {
      this.prefetchAsked = true;
      setTimeout(() => whenIdle(() => void this.prefetch.prefetch.start()), PREFETCH_DELAY_MS);
    }
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('keydown', this.onKey);
  }

  /** Page-wide keys: Ctrl+Enter (⌘+Enter) generates in Write; Escape stops writing or scoring. */
  private readonly onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && this.mode === 'generate') {
      e.preventDefault();
      this.writePanel?.submit();
    } else if (e.key === 'Escape') {
      if (this.engine?.running) this.engine.stop();
      else this.scorePanel?.stop();
    }
  };

  private onGenerate(e: GenerateEvent): void {
    const settings = this.settings.value;
    if (settings) void this.engine?.generate(e.detail.prompt, settings);
  }

  /** What the page is doing before the model is ready, in one line ('' once it is). */
  private waitingLine(): string {
    const w = this.weights;
    if (!w || !this.engine) return 'Starting…';
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
    return '';
  }

  private weightsPanel() {
    const w = this.weights;
    if (!w || w.phase === 'ready') return nothing;
    if (w.phase === 'need-file')
      return html`<soma-weights-picker .reason=${w.problem ?? ''} @weights-file=${(e: WeightsFileEvent) => void w.useFile(e.detail.file)}></soma-weights-picker>`;
    return nothing; // the download's progress stands in Write's status line
  }

  private async scoreGenerated(text: string): Promise<void> {
    this.show('score');
    await this.updateComplete; // the panel is made on its first showing
    this.scorePanel?.scoreText(text);
  }

  /** Shows a mode. Its panel is made the first time it is shown, not at start-up: less to do then. */
  private show(mode: Mode): void {
    this.mode = mode;
    this.shown.add(mode);
  }

  private controlsPanel() {
    return html`<soma-controls
      slot=${this.wide.matches ? nothing : 'settings'}
      .raw=${this.settings.raw}
      .hints=${this.settings.hints}
      ?collapsible=${!this.wide.matches}
      @setting-input=${(e: SettingInputEvent) => this.settings.set(e.detail.key, e.detail.raw)}
      @settings-reset=${() => this.settings.reset()}
    ></soma-controls>`;
  }

  override render() {
    const en = this.engine;
    const w = this.weights;
    const es = this.engineState;
    const info = en?.loaded?.info;
    const ready = w?.phase === 'ready' && !!info;
    const mode = this.mode;
    const blockedBy = !ready ? 'Generate waits for the model.' : es?.reason('write') || (!this.settings.value ? 'Generate waits for valid settings.' : '');
    const tuned = es?.weights.tuned;
    return html`
      <div class="top">
        <soma-model-header .info=${info} .modelLabel=${es?.label ?? 'original'} .activity=${ready && es ? es.activity : 'loading'}></soma-model-header>
        <soma-notices
          .shell=${this.shell?.state}
          .storage=${w?.storage}
          ?weightsReady=${ready}
          ?weightsStored=${!!w?.stored}
          .timelapse=${this.services?.timelapseEngine ? this.prefetch.state : null}
          .note=${w?.note ?? ''}
          @apply-update=${() => this.shell?.applyUpdate()}
        ></soma-notices>
      </div>
      <div class="layout">
        <main class="work">
          ${this.weightsPanel()}
          <nav class="modes" aria-label="Mode">
            ${MODES.map(([m, label]) => html`<button aria-pressed=${m === mode ? 'true' : 'false'} @click=${() => this.show(m)}>${label}</button>`)}
          </nav>
          ${this.shown.has('score')
            ? html`<soma-score-panel ?hidden=${mode !== 'score'} .state=${es} ?blocked=${!ready} .experts=${info?.config.experts ?? 16}></soma-score-panel>`
            : nothing}
          ${this.teachMade || this.shown.has('teach')
            ? html`<soma-teach-panel ?hidden=${mode !== 'teach'} .state=${es} .original=${ready ? info!.sha256 : ''} ?blocked=${!ready}></soma-teach-panel>`
            : nothing}
          ${this.shown.has('timelapse')
            ? html`<soma-timelapse-panel
                ?hidden=${mode !== 'timelapse'}
                ?active=${mode === 'timelapse'}
                .engine=${this.services?.timelapseEngine}
                .backend=${this.services?.backend ?? 'auto'}
                .settings=${this.settings.value}
                .offline=${this.prefetch.state}
              ></soma-timelapse-panel>`
            : nothing}
          <soma-write-panel
            ?hidden=${mode !== 'generate'}
            .info=${info}
            .run=${en?.run}
            .stats=${en?.stats}
            .insight=${en?.insight}
            .memoryBytes=${en?.loaded?.memoryBytes}
            ?running=${!!en?.running}
            ?stopping=${!!en?.stopping}
            .blockedBy=${blockedBy}
            .waiting=${this.waitingLine()}
            .download=${w?.phase === 'downloading' ? w.progress : null}
            .error=${en?.error ?? es?.error ?? ''}
            .modelLabel=${es?.label ?? 'original'}
            .tunedLabel=${tuned ? tunedDescription(tuned, es!.source) : ''}
            ?tunedActive=${es?.weights.active === 'tuned'}
            .switchBlockedBy=${es?.reason('switch') ?? ''}
            @generate=${this.onGenerate}
            @stop=${() => en?.stop()}
            @score-text=${(e: CustomEvent<{ text: string }>) => void this.scoreGenerated(e.detail.text)}
            @choose-model=${(e: CustomEvent<{ which: 'original' | 'tuned' }>) => void es?.choose(e.detail.which)}
          >${this.wide.matches ? nothing : this.controlsPanel()}</soma-write-panel>
        </main>
        ${this.wide.matches ? html`<aside class="side" aria-label="Settings">${this.controlsPanel()}</aside>` : nothing}
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
