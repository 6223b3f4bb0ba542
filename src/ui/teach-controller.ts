// "Teach it" as the page sees it: a fine-tune in the engine with live held-out nats/char, paused
// whenever the tab is hidden; the tuned copy kept in IndexedDB beside the original, switched to,
// discarded, exported as a soma.bin, or imported. Talks to the engine only through the protocol.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Engine, FineTuneProgress, WeightsState } from '../engine/protocol';
import { encodeUtf8 } from '../model/utf8';
import type { WeightsStore } from '../store/weights-store';

export type TeachPhase = 'idle' | 'starting' | 'teaching' | 'pausing' | 'paused';

export class TeachController implements ReactiveController {
  phase: TeachPhase = 'idle';
  progress?: FineTuneProgress;
  weights: WeightsState = { active: 'original', tuned: null };
  error?: string;
  /** Said after a save, an import or an export. */
  note?: string;
  /** The tab was hidden mid-run: resume when it shows again. */
  private resumeOnShow = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly deps: () => { engine: Engine; store: WeightsStore; original: string } | undefined,
  ) {
    host.addController(this);
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'hidden' && this.phase === 'teaching') {
      this.resumeOnShow = true;
      this.pause();
    } else if (document.visibilityState === 'visible' && this.resumeOnShow && this.phase === 'paused') {
      this.resumeOnShow = false;
      void this.run(null);
    }
  };

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    if (this.phase === 'teaching') this.deps()?.engine.pause();
  }

  private update(): void {
    this.host.requestUpdate();
  }

  /** Brings back a tuned copy stored on an earlier visit (the original stays in use). */
  async restore(): Promise<void> {
    const d = this.deps();
    if (!d) return;
    const bytes = await d.store.findTuned(d.original);
    if (!bytes) return;
    try {
      await d.engine.loadTuned(bytes);
      this.weights = await d.engine.useWeights('use-original');
    } catch {
      await d.store.removeTuned(); // refused: never offer it again
    }
    this.update();
  }

  start(text: string): Promise<void> {
    return this.run(encodeUtf8(text));
  }

  resume(): Promise<void> {
    return this.run(null);
  }

  private async run(text: Uint8Array | null): Promise<void> {
    const d = this.deps();
    if (!d || this.phase === 'teaching' || this.phase === 'starting') return;
    this.phase = text ? 'starting' : 'teaching';
    this.error = undefined;
    this.note = undefined;
    this.update();
    try {
      const gen = d.engine.teach(text);
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.progress = next.value.progress;
          this.weights = next.value.weights;
          break;
        }
        this.progress = next.value;
        if (this.phase === 'starting') this.phase = 'teaching';
        this.update();
      }
      this.phase = 'paused';
      await this.save();
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = this.weights.tuned ? 'paused' : 'idle';
    }
    this.update();
  }

  pause(): void {
    if (this.phase !== 'teaching') return;
    this.phase = 'pausing';
    this.deps()?.engine.pause();
    this.update();
  }

  /** Keeps the tuned copy in IndexedDB beside the original. */
  private async save(): Promise<void> {
    const d = this.deps();
    if (!d || !this.weights.tuned) return;
    const bytes = await d.engine.exportTuned();
    const saved = await d.store.saveTuned(bytes.slice().buffer, d.original);
    this.note = saved ? 'The tuned model is saved on this device, beside the original.' : 'The tuned model is kept for this visit only (no storage here).';
  }

  async use(which: 'original' | 'tuned'): Promise<void> {
    const d = this.deps();
    if (!d) return;
    try {
      this.weights = await d.engine.useWeights(which === 'tuned' ? 'use-tuned' : 'use-original');
      this.error = undefined;
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.update();
  }

  /** Discards the tuned copy, here and in IndexedDB; the original is used again. */
  async reset(): Promise<void> {
    const d = this.deps();
    if (!d) return;
    try {
      this.weights = await d.engine.useWeights('discard-tuned');
      await d.store.removeTuned();
      this.phase = 'idle';
      this.progress = undefined;
      this.note = 'The tuned model is discarded; the original is in use.';
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.update();
  }

  /** Downloads the tuned soma.bin. */
  async exportFile(): Promise<void> {
    const d = this.deps();
    if (!d) return;
    try {
      const bytes = await d.engine.exportTuned();
      const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'soma-tuned.bin';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      this.error = (e as Error).message;
      this.update();
    }
  }

  /** Takes a tuned soma.bin from a file, uses it and keeps it. */
  async importFile(file: File): Promise<void> {
    const d = this.deps();
    if (!d || this.phase === 'teaching') return;
    try {
      const bytes = await file.arrayBuffer();
      this.weights = await d.engine.loadTuned(bytes);
      this.phase = 'idle';
      this.progress = undefined;
      this.error = undefined;
      await d.store.saveTuned(bytes, d.original);
      this.note = `Using ${file.name} as the tuned model.`;
    } catch (e) {
      this.error = `${file.name}: ${(e as Error).message}`;
    }
    this.update();
  }
}
