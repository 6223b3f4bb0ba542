// Scoring a text as the page sees it: the engine's streamed per-byte figures, kept as they arrive,
// and the totals and experts' view at the end. Talks to the engine only through the protocol, and
// claims it through the page's EngineState first.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { encodeUtf8, type ScoreChunk, type ScoreDone } from '../engine/protocol';
import type { EngineState } from './engine-state';

/** One scoring as the heatmap shows it: a new object whenever a chunk arrives. */
export interface ScoreView {
  id: number;
  total: number; // bytes of the text
  chunks: readonly ScoreChunk[];
  done?: ScoreDone;
}

/** The chunk holding byte i, and i's index within it. */
export function locate(view: ScoreView, i: number): { chunk: ScoreChunk; at: number } | null {
  for (const chunk of view.chunks) if (i >= chunk.start && i < chunk.start + chunk.bytes.length) return { chunk, at: i - chunk.start };
  return null;
}

/**
 * While it scores, the page is shown what has arrived at most this often. Each showing lays out the
 * heatmap so far, so showing every chunk (about one a frame) made the layout's work grow with the
 * square of the text: most of the page's time on 50 KB.
 */
export const VIEW_EVERY_MS = 200;

export class ScoreController implements ReactiveController {
  view?: ScoreView;
  running = false;
  error?: string;
  private nextId = 1;
  /** Ends the scoring under way: Stop, or the page letting this controller go. */
  private abort?: AbortController;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly state: () => EngineState | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  async score(text: string): Promise<void> {
    const state = this.state();
    if (!state || this.running) return;
    const bytes = encodeUtf8(text);
    if (bytes.length === 0) {
      // One message, and no scoring begun: there is nothing to wait for.
      this.view = undefined;
      this.error = 'Nothing to score: the text is empty. Paste or type some text, or open a file.';
      this.host.requestUpdate();
      return;
    }
    if (!state.claim('scoring')) return;
    const engine = state.engine;
    this.running = true;
    this.abort = new AbortController();
    this.error = undefined;
    this.view = { id: this.nextId++, total: bytes.length, chunks: [] };
    this.host.requestUpdate();
    const chunks: ScoreChunk[] = [];
    let shownAt = -Infinity;
    try {
      const gen = engine.score(bytes, { signal: this.abort.signal });
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.view = { ...this.view, chunks, done: next.value };
          break;
        }
        chunks.push(next.value);
        const now = performance.now();
        if (now - shownAt < VIEW_EVERY_MS) continue;
        shownAt = now;
        this.view = { ...this.view, chunks: chunks.slice() };
        this.host.requestUpdate();
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
      this.abort = undefined;
      state.release('scoring');
      this.host.requestUpdate();
    }
  }

  stop(): void {
    this.abort?.abort();
  }
}
