// Scoring a text as the page sees it: the engine's streamed per-byte figures, kept as they arrive,
// and the totals and experts' view at the end. Talks to the engine only through the protocol.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Engine, ScoreChunk, ScoreDone } from '../engine/protocol';
import { encodeUtf8 } from '../model/utf8';

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

export class ScoreController implements ReactiveController {
  view?: ScoreView;
  running = false;
  error?: string;
  private nextId = 1;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly engine: () => Engine | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    if (this.running) this.engine()?.stop();
  }

  async score(text: string): Promise<void> {
    const engine = this.engine();
    if (!engine || this.running) return;
    const bytes = encodeUtf8(text);
    this.running = true;
    this.error = undefined;
    this.view = { id: this.nextId++, total: bytes.length, chunks: [] };
    this.host.requestUpdate();
    try {
      const gen = engine.score(bytes);
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.view = { ...this.view, done: next.value };
          break;
        }
        this.view = { ...this.view, chunks: [...this.view.chunks, next.value] };
        this.host.requestUpdate();
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.running = false;
      this.host.requestUpdate();
    }
  }

  stop(): void {
    if (this.running) this.engine()?.stop();
  }
}
