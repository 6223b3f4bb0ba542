// "Teach it" as the page sees it: a fine-tune in the engine with live held-out nats/char, paused
// whenever the tab is hidden; the tuned copy kept by the engine (in IndexedDB, from its own thread)
// beside the original, switched to, discarded, exported as a soma.bin, or imported. Talks to the engine only through the protocol,
// claims it through the page's EngineState, and keeps the model in use there.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { DEFAULT_SAMPLING, encodeUtf8, type FineTuneProgress } from '../engine/protocol';
import type { EngineState, TunedSource } from './engine-state';

export type TeachPhase = 'idle' | 'starting' | 'teaching' | 'pausing' | 'paused';

/** Bytes in each side-by-side sample after a pause. */
const SAMPLE_BYTES = 240;

/** The sample's prompt: the start of the taught text, up to a word's end (a taught style shows from its own opening). */
export function samplePromptOf(text: string): string {
  const head = text.trimStart().slice(0, 40);
  const cut = head.length < 40 ? head.length : Math.max(head.lastIndexOf(' '), 1);
  return head.slice(0, cut) || 'The ';
}

export class TeachController implements ReactiveController {
  phase: TeachPhase = 'idle';
  progress?: FineTuneProgress;
  error?: string;
  /** Said after a save, an import or an export. */
  note?: string;
  /** The tab was hidden mid-run: resume when it shows again. */
  private resumeOnShow = false;
  /** After a pause: what the original and the tuned weights write from the same prompt and seed. */
  samples?: { prompt: string; original: string; tuned: string };
  private samplePrompt = 'The ';
  private sampling: Promise<void> | null = null;
  /** The text of the run under way, named once it has made a tuned copy. */
  private teaching: TunedSource | null = null;
  /** Pauses the run under way. */
  private abort?: AbortController;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly deps: () => { state: EngineState } | undefined,
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
    this.abort?.abort();
  }

  /** What the engine says of the original and the tuned copy. */
  get weights() {
    return this.deps()?.state.weights ?? { active: 'original' as const, tuned: null };
  }

  private update(): void {
    this.host.requestUpdate();
  }

  /** Brings back a tuned copy stored on an earlier visit, and the model the user chose last. */
  async restore(): Promise<void> {
    const d = this.deps();
    if (!d) return;
    try {
      const weights = await d.state.engine.restoreTuned(d.state.remembered);
      if (!weights.tuned) return;
      d.state.setWeights(weights);
    } catch {
      return; // no model loaded (yet): nothing to restore to
    }
    this.update();
  }

  /** Teaches a new copy on text; `name` says where the text came from ('' for typed or pasted). */
  start(text: string, name = ''): Promise<void> {
    const bytes = encodeUtf8(text);
    this.samplePrompt = samplePromptOf(text);
    this.teaching = { name: name || 'your pasted text', bytes: bytes.length };
    return this.run(bytes);
  }

  resume(): Promise<void> {
    return this.run(null);
  }

  private async run(text: Uint8Array | null): Promise<void> {
    await this.sampling; // a side-by-side sample in progress holds the engine for a moment
    const d = this.deps();
    if (!d || this.phase === 'teaching' || this.phase === 'starting' || !d.state.claim('teaching')) return;
    let claimed = true;
    const free = () => {
      if (claimed) d.state.release('teaching'); // once: a resumed run may hold the claim by then
      claimed = false;
    };
    this.phase = text ? 'starting' : 'teaching';
    this.error = undefined;
    this.note = undefined;
    this.update();
    // A run resumed on a shown tab may begin while this one still saves: each clears only its own.
    const abort = (this.abort = new AbortController());
    try {
      const gen = d.state.engine.teach(text, { signal: abort.signal });
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          this.progress = next.value.progress;
          if (text && this.teaching) d.state.setSource(this.teaching);
          d.state.setWeights(next.value.weights);
          break;
        }
        this.progress = next.value;
        if (this.phase === 'starting') this.phase = 'teaching';
        this.update();
      }
      this.phase = 'paused';
      free(); // saving needs no claim: the engine answers an export between anything
      await this.save();
      this.sampling = this.sample();
    } catch (e) {
      this.error = (e as Error).message;
      this.phase = this.weights.tuned ? 'paused' : 'idle';
    } finally {
      if (this.abort === abort) this.abort = undefined;
      free();
    }
    this.update();
  }

  pause(): void {
    if (this.phase !== 'teaching') return;
    this.phase = 'pausing';
    this.abort?.abort();
    this.update();
  }

  /** Writes a short sample with the original and one with the tuned weights: same prompt, same seed. */
  private async sample(): Promise<void> {
    const d = this.deps();
    if (!d || !this.weights.tuned || !d.state.claim('teaching')) return;
    try {
      const prompt = this.samplePrompt;
      const s = await d.state.engine.compare(encodeUtf8(prompt), { ...DEFAULT_SAMPLING, temperature: 0.8, length: SAMPLE_BYTES, seed: 1 });
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      this.samples = { prompt, original: text(s.original), tuned: text(s.tuned) };
    } catch (e) {
      this.samples = undefined;
      this.note = `No side-by-side sample: ${(e as Error).message}`;
    } finally {
      d.state.release('teaching');
      this.update();
    }
  }

  /** Has the engine keep the tuned copy beside the original. */
  private async save(): Promise<void> {
    const d = this.deps();
    if (!d || !this.weights.tuned) return;
    const saved = await d.state.engine.keepTuned();
    this.note = saved ? 'The tuned model is saved on this device, beside the original.' : 'The tuned model is kept for this visit only (no storage here).';
  }

  async use(which: 'original' | 'tuned'): Promise<void> {
    await this.deps()?.state.choose(which);
    this.update();
  }

  /** Discards the tuned copy, in the engine and the copy it kept; the original is used again. */
  async reset(): Promise<void> {
    const d = this.deps();
    if (!d) return;
    try {
      d.state.setWeights(await d.state.engine.useWeights('discard-tuned'));
      d.state.forgetTuned();
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
      const bytes = await d.state.engine.exportTuned();
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
    if (!d || this.phase === 'teaching' || d.state.activity !== 'idle') return;
    try {
      // Read here (the browser reads a file off the main thread) and moved to the engine, not copied.
      const weights = await d.state.engine.loadTuned(await file.arrayBuffer());
      // Kept before it is shown in use: a reload right after must find it.
      await d.state.engine.keepTuned();
      d.state.setSource({ name: file.name, bytes: Number(/(\d+) bytes/.exec(weights.tuned?.corpus ?? '')?.[1] ?? 0) });
      d.state.setWeights(weights, true);
      this.phase = 'idle';
      this.progress = undefined;
      this.error = undefined;
      this.note = `Using ${file.name} as the tuned model.`;
    } catch (e) {
      this.error = `${file.name}: ${(e as Error).message}`;
    }
    this.update();
  }
}
