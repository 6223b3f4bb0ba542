// Writing as the page sees it: loading, one generation at a time, its streamed chunks and stats.
// Chunks are shown once per animation frame, at most FRAME_BYTES a frame, however fast they come
// or however slowly the frames do, so a frame's work stays bounded and a long output never holds
// the main thread. It talks to the engine only through the protocol's Engine interface, and
// claims it through the page's EngineState first.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type BackendChoice, type ByteChunk, DEFAULT_SAMPLING, encodeUtf8, type EngineStats, type Loaded, MARK_FIRST_BYTE, MARK_GENERATE, MARK_LAST_BYTE, MARK_READY, type WeightsOutcome, type WeightsProgress, type WeightsSource } from '../engine/protocol';
import type { EngineState } from './engine-state';
import { GenerationInsight, type InsightFigures } from './generation-insight';
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

/**
 * The most bytes one frame shows; the rest waits for the next. The page's work for a frame grows
 * with the bytes it shows (with colour by expert, an element for each few bytes), and a frame that
 * showed all that had come since the last, slow one, made the next one slower still. 512 bytes a
 * frame is 30 KB/s at 60 frames a second, several times what the engine writes.
 */
export const FRAME_BYTES = 512;

/**
 * The live figures (speed, the experts' load, entropy, bits) are refreshed at most this often, in a
 * frame of their own that shows no new text. Refreshed with every frame's text, they redrew two
 * charts and the legend each frame, and made the longest frames longer; a person reads them at this pace.
 */
export const FIGURES_EVERY_MS = 250;

/** The first `n` bytes of a chunk and the rest, each with the chunk's stats. */
function splitChunk(c: ByteChunk, n: number): [ByteChunk, ByteChunk] {
  const part = (from: number, to?: number): ByteChunk => ({
    bytes: c.bytes.subarray(from, to),
    experts: c.experts.subarray(from, to),
    entropyBits: c.entropyBits.subarray(from, to),
    probs: c.probs.subarray(from, to),
    stats: c.stats,
  });
  return [part(0, n), part(n)];
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
  /** The figures as shown, refreshed at most every FIGURES_EVERY_MS while a run streams. */
  stats?: EngineStats;
  insight?: InsightFigures;
  /** The figures of all the text shown so far. */
  private live?: GenerationInsight;
  private liveStats?: EngineStats;
  private figuresAt = -Infinity;
  private figuresTimer?: ReturnType<typeof setTimeout>;
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
    clearTimeout(this.figuresTimer);
  }

  /** Has the engine open the weights (find, fetch, verify, load, store: all in its thread); the outcome says whether it did. */
  async open(source: WeightsSource, backend: BackendChoice, onProgress: (p: WeightsProgress) => void): Promise<WeightsOutcome> {
    const claimed = this.state.claim('loading');
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const outcome = await this.state.engine.openWeights(source, backend, onProgress);
      if (outcome.ready) {
        this.loaded = outcome.loaded;
        performance.mark(MARK_READY);
      }
      return outcome;
    } finally {
      if (claimed) this.state.release('loading');
      this.host.requestUpdate();
    }
  }

  /** Shows what has arrived since the last frame, up to FRAME_BYTES (all of it in a hidden tab, which draws nothing). */
  private show = (): void => {
    this.frameAsked = false;
    if (!this.run || !this.live) return;
    const now = performance.now();
    const behind = this.live.bytes > (this.insight?.bytes ?? 0);
    if (behind && now - this.figuresAt >= FIGURES_EVERY_MS) {
      this.figuresAt = now;
      this.showFigures();
      if (this.pending.length > 0) this.askFrame(); // the text waits one frame
      return;
    }
    if (this.pending.length === 0) {
      if (behind) this.askFiguresLater();
      return;
    }
    const chunks = this.run.chunks as ByteChunk[];
    let bytes = this.run.bytes;
    let budget = document.visibilityState === 'hidden' ? Infinity : FRAME_BYTES;
    while (budget > 0 && this.pending.length > 0) {
      let c = this.pending[0];
      if (c.bytes.length > budget) [c, this.pending[0]] = splitChunk(c, budget);
      else this.pending.shift();
      chunks.push(c);
      bytes += c.bytes.length;
      budget -= c.bytes.length;
      this.live!.add(c);
      this.liveStats = c.stats;
    }
    this.run = { ...this.run, bytes, reading: undefined };
    this.host.requestUpdate();
    if (this.pending.length > 0) this.askFrame();
    else this.askFiguresLater();
  };

  /** A frame for the figures once they are due: text that stops coming leaves them up to date. */
  private askFiguresLater(): void {
    if (this.figuresTimer !== undefined) return;
    const wait = Math.max(0, this.figuresAt + FIGURES_EVERY_MS - performance.now());
    this.figuresTimer = setTimeout(() => {
      this.figuresTimer = undefined;
      this.askFrame();
    }, wait);
  }

  private showFigures(): void {
    this.stats = this.liveStats;
    this.insight = this.live!.snapshot();
    this.host.requestUpdate();
  }

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
    this.liveStats = undefined;
    this.pending = [];
    this.live = new GenerationInsight(this.loaded.info.config.experts);
    this.insight = this.live.snapshot();
    this.figuresAt = -Infinity;
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
          this.liveStats = next.value;
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
      done = { reason: 'failed', stats: this.liveStats ?? null, shownMs: 0 };
    }
    // The last bytes, at the frames' pace: the status's time is when the user saw them.
    while (this.pending.length > 0) await new Promise<void>((resolve) => nextFrame(resolve));
    this.show(); // nothing left, unless a hidden tab's timer came first
    this.showFigures(); // the run's final figures
    await this.host.updateComplete;
    performance.mark(MARK_LAST_BYTE);
    done!.shownMs = performance.now() - t0;
    clearTimeout(this.figuresTimer);
    this.figuresTimer = undefined;
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
