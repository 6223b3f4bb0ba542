// The engine as the page sees it: loading, one generation at a time, its streamed chunks and stats.
// It talks to the engine only through the protocol's Engine interface.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BackendChoice, ByteChunk, Engine, EngineStats, Loaded } from '../engine/protocol';
import { MARK_FIRST_BYTE, MARK_READY } from '../engine/protocol';
import { encodeUtf8 } from '../model/utf8';
import { GenerationInsight } from './generation-insight';
import type { UiSettings } from './settings';

/** One generation as the output shows it. A new object whenever a chunk arrives. */
export interface GenerationView {
  id: number;
  prompt: string;
  chunks: readonly ByteChunk[];
  done?: { reason: 'length' | 'stopped' | 'failed'; stats: EngineStats | null };
}


export class EngineController implements ReactiveController {
  loaded?: Loaded;
  loading = false;
  running = false;
  error?: string;
  run?: GenerationView;
  stats?: EngineStats;
  insight?: GenerationInsight;
  private nextRun = 1;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly engine: Engine,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    if (this.running) this.engine.stop();
  }

  /** Loads verified bytes into the engine. Rejects with the engine's message when it refuses them. */
  async load(bytes: Uint8Array, backend: BackendChoice): Promise<Loaded> {
    this.loading = true;
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      this.loaded = await this.engine.load(buffer as ArrayBuffer, backend);
      performance.mark(MARK_READY);
      return this.loaded;
    } finally {
      this.loading = false;
      this.host.requestUpdate();
    }
  }

  async generate(prompt: string, settings: UiSettings): Promise<void> {
    if (!this.loaded || this.running) return;
    const id = this.nextRun++;
    this.running = true;
    this.error = undefined;
    this.stats = undefined;
    this.insight = new GenerationInsight(this.loaded.info.config.experts);
    this.run = { id, prompt, chunks: [] };
    this.host.requestUpdate();
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    const options = { ...settings, repeatWindow: 64, seed, continue: false };
    let first = true;
    try {
      const gen = this.engine.generate(encodeUtf8(prompt), options);
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.stats = next.value;
          this.run = { ...this.run, done: { reason: next.value.reason, stats: next.value } };
          break;
        }
        if (first) {
          performance.mark(MARK_FIRST_BYTE);
          first = false;
        }
        this.insight.add(next.value);
        this.stats = next.value.stats;
        this.run = { ...this.run, chunks: [...this.run.chunks, next.value] };
        this.host.requestUpdate();
      }
    } catch (e) {
      this.error = (e as Error).message;
      this.run = { ...this.run, done: { reason: 'failed', stats: this.stats ?? null } };
    } finally {
      this.running = false;
      this.host.requestUpdate();
    }
  }

  stop(): void {
    if (this.running) this.engine.stop();
  }
}
