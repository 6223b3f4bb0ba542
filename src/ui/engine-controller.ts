// Writing as the page sees it: loading, one generation at a time, its streamed chunks and stats.
// Chunks are shown once per animation frame, however fast they come, so a long output never
// holds the main thread. It talks to the engine only through the protocol's Engine interface, and
// claims it through the page's EngineState first.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type BackendChoice, type ByteChunk, DEFAULT_SAMPLING, encodeUtf8, type EngineStats, type Loaded, MARK_FIRST_BYTE, MARK_GENERATE, MARK_LAST_BYTE, MARK_READY } from '../engine/protocol';
import type { EngineState } from './engine-state';
import { GenerationInsight } from './generation-insight';
import type { UiSettings } from './settings';

/** One generation as the output shows it. A new object whenever new chunks are shown. */
export interface GenerationView {
  id: number;
  prompt: string;
  chunks: readonly ByteChunk[];
  /** Bytes shown so far. */
  bytes: number;
  /** How much of a long prompt the engine has read, before it writes. */
  reading?: { read: number; total: number };
  /** shownMs: from the click to the last byte on screen, the time the user saw. */
  done?: { reason: 'length' | 'stopped' | 'failed'; stats: EngineStats | null; shownMs: number };
}

/** Runs `fn` at the next animation frame, or soon in a hidden tab, where frames do not come. */
function nextFrame(fn: () => void): void {
  if (document.visibilityState === 'hidden') setTimeout(fn, 50);
  else requestAnimationFrame(() => fn());
}

export class EngineController implements ReactiveController {
  loaded?: Loaded;
  running = false;
  /** Stop was asked for: the run ends at the engine's next slice. */
  stopping = false;
  error?: string;
  run?: GenerationView;
  stats?: EngineStats;
  insight?: GenerationInsight;
  private nextRun = 1;
  /** Ends the run under way: Stop, or the page letting this controller go. */
  private abort?: AbortController;
  private pending: ByteChunk[] = [];
  private frameAsked = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly state: EngineState,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  /** Loads verified bytes into the engine. Rejects with the engine's message when it refuses them. */
  async load(bytes: Uint8Array, backend: BackendChoice): Promise<Loaded> {
    const claimed = this.state.claim('loading');
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      this.loaded = await this.state.engine.load(buffer as ArrayBuffer, backend);
      performance.mark(MARK_READY);
      return this.loaded;
    } finally {
      if (claimed) this.state.release('loading');
      this.host.requestUpdate();
    }
  }

  /** Shows what has arrived since the last frame, once per frame. */
  private show = (): void => {
    this.frameAsked = false;
    if (!this.run || this.pending.length === 0) return;
    const chunks = this.run.chunks as ByteChunk[];
    let bytes = this.run.bytes;
    for (const c of this.pending) {
      chunks.push(c);
      bytes += c.bytes.length;
      this.insight!.add(c);
    }
    this.stats = this.pending.at(-1)!.stats;
    this.pending = [];
    this.run = { ...this.run, bytes, reading: undefined };
    this.host.requestUpdate();
  };

  private askFrame(): void {
    if (this.frameAsked) return;
    this.frameAsked = true;
    nextFrame(this.show);
  }

  async generate(prompt: string, settings: UiSettings): Promise<void> {
    if (!this.loaded || this.running || !this.state.claim('generating')) return;
    const t0 = performance.now();
    performance.mark(MARK_GENERATE);
    const id = this.nextRun++;
    this.running = true;
    this.stopping = false;
    this.abort = new AbortController();
    this.error = undefined;
    this.stats = undefined;
    this.pending = [];
    this.insight = new GenerationInsight(this.loaded.info.config.experts);
    this.run = { id, prompt, chunks: [], bytes: 0 };
    this.host.requestUpdate();
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const options = { ...settings, repeatWindow: DEFAULT_SAMPLING.repeatWindow, seed, continue: false };
    let first = true;
    let done: GenerationView['done'];
    try {
      const onReading = (read: number, total: number) => {
        if (this.run?.id !== id) return;
        this.run = { ...this.run, reading: { read, total } };
        this.host.requestUpdate();
      };
      const gen = this.state.engine.generate(encodeUtf8(prompt), options, { onReading, signal: this.abort.signal });
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.stats = next.value;
          done = { reason: next.value.reason, stats: next.value, shownMs: 0 };
          break;
        }
        if (first) {
          performance.mark(MARK_FIRST_BYTE);
          first = false;
        }
        this.pending.push(next.value);
        this.askFrame();
      }
    } catch (e) {
      this.error = (e as Error).message;
      done = { reason: 'failed', stats: this.stats ?? null, shownMs: 0 };
    }
    this.show(); // the last bytes, now
    await this.host.updateComplete;
    performance.mark(MARK_LAST_BYTE);
    done!.shownMs = performance.now() - t0;
    this.run = { ...this.run, reading: undefined, done };
    this.running = false;
    this.stopping = false;
    this.abort = undefined;
    this.state.release('generating');
    this.host.requestUpdate();
  }

  stop(): void {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    this.abort?.abort();
    this.host.requestUpdate();
  }
}
