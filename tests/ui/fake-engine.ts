// A scripted Engine and a minimal Lit host, for the controllers' unit tests: the test decides what
// each stream yields and how it ends, and reads back what the controller asked of the engine.
import { vi } from 'vitest';
import type { ByteChunk, Engine, FineTuneProgress, GenerateDone, GenerateOptions, GenerateRequest, GenerateStreamOptions, Loaded, ModelInfo, ScoreChunk, ScoreDone, SideBySide, StreamOptions, TeachPaused, WeightsOutcome, WeightsProgress, WeightsSource, WeightsState } from '../../src/engine/protocol';
import { streamOf } from '../../src/engine/stream-of';

/** A stream the test drives: push() yields a value, end() returns, fail() throws. */
export class Scripted<Y, R> {
  private emit: (v: Y) => void = () => {};
  private resolve: (r: R) => void = () => {};
  private reject: (e: Error) => void = () => {};
  private readonly started: Promise<void>;
  readonly stream: AsyncGenerator<Y, R>;
  constructor() {
    let began = (): void => {};
    this.started = new Promise((r) => (began = r));
    this.stream = streamOf<Y, R>(
      (emit) =>
        new Promise<R>((resolve, reject) => {
          this.emit = emit;
          this.resolve = resolve;
          this.reject = reject;
          began();
        }),
      () => {},
    );
  }
  /** Resolves once the controller has begun reading the stream. */
  read(): Promise<void> {
    return this.started;
  }
  push(v: Y): void {
    this.emit(v);
  }
  end(r: R): void {
    this.resolve(r);
  }
  fail(message: string): void {
    this.reject(new Error(message));
  }
}

export const INFO = { config: { experts: 4 }, backend: 'js', params: 1000 } as unknown as ModelInfo;

export const chunkOf = (text: string, generated: number): ByteChunk => {
  const bytes = new TextEncoder().encode(text);
  return { bytes, experts: new Uint8Array(bytes.length), entropyBits: new Float32Array(bytes.length), probs: new Float32Array(bytes.length), stats: { generated, ms: 1, tokPerSec: 1, msPerTok: 1, contextBytes: generated, memoryBytes: 1 } };
};

export const progressAt = (step: number): FineTuneProgress => ({ step, tokens: step * 64, seconds: step / 10, trainLoss: 2, before: 3, now: 3 - step / 100 });

/** An Engine whose every call is recorded, and whose answers and streams the test scripts. */
export class FakeEngine implements Engine {
  readonly calls: string[] = [];
  generations: { prompt: Uint8Array; options: GenerateOptions; stream: Scripted<ByteChunk, GenerateDone>; onReading?: (read: number, total: number) => void }[] = [];
  scorings: Scripted<ScoreChunk, ScoreDone>[] = [];
  teachings: { text: Uint8Array | null; stream: Scripted<FineTuneProgress, TeachPaused> }[] = [];
  weights: WeightsState = { active: 'original', tuned: null };
  /** Holds the answers to exportTuned() and keepTuned() until it resolves (a slow save). */
  exportHeld: Promise<void> = Promise.resolve();
  /** A message to refuse the next call of that name with. */
  refuse: Partial<Record<'load' | 'openWeights' | 'useWeights' | 'loadTuned' | 'exportTuned' | 'keepTuned' | 'restoreTuned' | 'compare', string>> = {};
  /** What openWeights() tells (the progress, in order) and answers; the sources it was given. */
  opening: { progress: WeightsProgress[]; outcome: WeightsOutcome } = { progress: [], outcome: { ready: true, loaded: { info: INFO, memoryBytes: 1 }, origin: 'network', stored: true, storage: { kind: 'indexeddb', persisted: null } } };
  opened: WeightsSource[] = [];
  /** The engine's kept tuned copy (its store, as the page sees it), and whether it has storage for one. */
  kept = false;
  canKeep = true;

  private answer<T>(name: keyof FakeEngine['refuse'], value: () => T): Promise<T> {
    this.calls.push(name);
    const message = this.refuse[name];
    delete this.refuse[name];
    return message ? Promise.reject(new Error(message)) : Promise.resolve(value());
  }

  load(): Promise<Loaded> {
    return this.answer('load', () => ({ info: INFO, memoryBytes: 1 }));
  }
  openWeights(source: WeightsSource, _backend?: unknown, onProgress?: (p: WeightsProgress) => void): Promise<WeightsOutcome> {
    this.opened.push(source);
    return this.answer('openWeights', () => {
      for (const p of this.opening.progress) onProgress?.(p);
      return this.opening.outcome;
    });
  }
  restoreTuned(use: 'original' | 'tuned'): Promise<WeightsState> {
    return this.answer('restoreTuned', () => (this.kept ? (this.weights = { active: use, tuned: TUNED }) : this.weights));
  }
  async keepTuned(): Promise<boolean> {
    await this.exportHeld;
    return this.answer('keepTuned', () => (this.kept = this.canKeep));
  }
  /** A stream's signal aborting is recorded as 'abort'. */
  private follow(signal?: AbortSignal): void {
    signal?.addEventListener('abort', () => this.calls.push('abort'));
  }

  generate(prompt: Uint8Array, options: GenerateOptions, stream: GenerateStreamOptions = {}): AsyncGenerator<ByteChunk, GenerateDone> {
    this.calls.push('generate');
    this.follow(stream.signal);
    const s = new Scripted<ByteChunk, GenerateDone>();
    this.generations.push({ prompt, options, stream: s, onReading: stream.onReading });
    return s.stream;
  }
  score(_text: Uint8Array, stream: StreamOptions = {}): AsyncGenerator<ScoreChunk, ScoreDone> {
    this.calls.push('score');
    this.follow(stream.signal);
    const s = new Scripted<ScoreChunk, ScoreDone>();
    this.scorings.push(s);
    return s.stream;
  }
  teach(text: Uint8Array | null, stream: StreamOptions = {}): AsyncGenerator<FineTuneProgress, TeachPaused> {
    this.calls.push(text ? 'teach' : 'resume');
    this.follow(stream.signal);
    const s = new Scripted<FineTuneProgress, TeachPaused>();
    this.teachings.push({ text, stream: s });
    return s.stream;
  }
  stop(): void {
    this.calls.push('stop');
  }
  pause(): void {
    this.calls.push('pause');
  }
  async reset(): Promise<void> {
    this.calls.push('reset');
  }
  useWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): Promise<WeightsState> {
    return this.answer('useWeights', () => {
      if (action === 'discard-tuned') [this.weights, this.kept] = [{ active: 'original', tuned: null }, false];
      else this.weights = { ...this.weights, active: action === 'use-tuned' ? 'tuned' : 'original' };
      return this.weights;
    });
  }
  loadTuned(): Promise<WeightsState> {
    return this.answer('loadTuned', () => (this.weights = { active: 'tuned', tuned: TUNED }));
  }
  async exportTuned(): Promise<Uint8Array> {
    await this.exportHeld;
    return this.answer('exportTuned', () => new Uint8Array([1, 2, 3]));
  }
  compare(_prompt: Uint8Array, _options: GenerateRequest): Promise<SideBySide> {
    return this.answer('compare', () => ({ original: new TextEncoder().encode('from the original'), tuned: new TextEncoder().encode('from the tuned copy') }));
  }
}

export const TUNED = { trained: true, method: 'fine-tuned', steps: 5, tokens: 320, corpus: 'user text, 3000 bytes', valNatsPerChar: null, created: '2026-12-02' };

/** The least a ReactiveControllerHost is: it counts the updates it was asked for. */
export function fakeHost() {
  return { updates: 0, addController() {}, removeController() {}, requestUpdate() { this.updates++; }, updateComplete: Promise.resolve(true) };
}

/** Lets every pending promise and timer of the controller run. */
export const settle = () => new Promise((r) => setTimeout(r, 5));

/**
 * The page's globals a controller touches, in Node: a document (at https://soma.test/) whose visibility the test sets,
 * animation frames (a timer), and a localStorage in memory.
 */
export function stubPage() {
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState, baseURI: 'https://soma.test/' });
  const storage = new Map<string, string>();
  vi.stubGlobal('document', document);
  vi.stubGlobal('requestAnimationFrame', (fn: FrameRequestCallback) => setTimeout(() => fn(0), 1));
  vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v), removeItem: (k: string) => void storage.delete(k) });
  return {
    storage,
    /** Hides or shows the tab, as the browser says so. */
    show(state: DocumentVisibilityState) {
      document.visibilityState = state;
      document.dispatchEvent(new Event('visibilitychange'));
    },
  };
}
