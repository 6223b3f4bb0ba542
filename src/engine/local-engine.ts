// The engine itself, in whatever thread runs it: the worker (behind serve.ts), the page opened from
// file://, and the `soma` command. It owns the Session, the tuned copy and the fine-tune, and runs
// one stream at a time. Its streams work in slices of about a frame and yield to the event loop
// between them, so a stop, a pause or the page's own events are seen mid-stream.
import { type Provenance, type SomaFile, SomaFormatError, readSoma, writeSoma } from '../model/format';
import { type Backend, jsKernels } from '../model/kernels';
import { sameConfig } from '../model/config';
import { FineTune, fineTuneTextError } from '../train/finetune';
import { FINETUNE_DEFAULTS, type FineTuneSettings } from '../train/settings';
import type { ShardEngine } from '../train/spsa';
import { hasWasmSimd } from './detect';
import { openWeights } from './open-weights';
import type { BackendChoice, ByteChunk, Engine, FineTuneProgress, GenerateDone, GenerateOptions, GenerateRequest, GenerateStreamOptions, Loaded, ScoreChunk, ScoreDone, SideBySide, StreamOptions, TeachPaused, WeightsOutcome, WeightsProgress, WeightsSource, WeightsState } from './protocol';
import { Session, generateError } from './session';
import { generateChunks, scoreChunks, yieldToLoop } from './session-streams';
import { streamOf } from './stream-of';
import { wasmKernels } from './wasm';
import { WeightsStore } from './weights-store';

const COMPARE_MAX_BYTES = 2000; // a side-by-side sample is read at a glance
/** The page keeps every scored byte's figures (about 100 bytes each): this caps what it keeps. */
const MAX_SCORE_BYTES = 4 * 1024 * 1024;
const BUSY = 'busy: stop or pause first';

export interface LocalEngineOptions {
  /** The WASM kernels' module: asked for once, when a WASM backend first needs it. */
  kernels: () => Promise<WebAssembly.Module>;
  /** The fine-tune's kernels over `floats` heap floats; by default those of the loaded backend. */
  shardEngine?: (floats: number) => Promise<ShardEngine>;
  fineTune?: FineTuneSettings;
  /** Where a tuned copy was made, as its provenance says it ("in the browser tab"). */
  tunedWhere?: string;
  /** Re-score the held-out part this often while teaching. */
  evalEveryMs?: number;
  /** The longest text score() takes. */
  maxScoreBytes?: number;
  /** Where openWeights() keeps the weights and the tuned copy between visits; memory only without one. */
  store?: WeightsStore;
  fetch?: typeof fetch; // the tests' stand-in for the network
}

export function pickBackend(choice: BackendChoice, simd = hasWasmSimd()): Backend {
  if (choice === 'js') return 'js';
  if (choice === 'wasm-simd' && !simd) throw new Error('this browser has no WebAssembly SIMD: choose the JS backend');
  return simd ? 'wasm-simd' : 'js';
}

/**
 * Every error the engine throws carries its final message: a bad file or a value out of range
 * speaks for itself, anything else says it is the engine's. The class is kept for those two, so
 * the command line can tell a user's mistake from a failure.
 */
function engineError(e: unknown): Error {
  if (e instanceof SomaFormatError || e instanceof RangeError) return e;
  return new Error(`engine error: ${e instanceof Error ? e.message : String(e)}`);
}

/** The stream running now, and how to end it. */
interface Run {
  kind: 'generate' | 'score' | 'teach';
  stop: AbortController;
  stopped: () => boolean; // its own stop, or its caller's signal
}

export class LocalEngine implements Engine {
  private session: Session | null = null;
  private file: SomaFile | null = null; // the loaded (original) model; its weights are never changed
  private tuned: { theta: Float32Array; provenance: Provenance } | null = null;
  private active: 'original' | 'tuned' = 'original';
  private finetune: FineTune | null = null; // the run a teach with no text resumes
  private sideBySide: Session | null = null; // writes the compare samples, so the page's own context stays as it is
  private running: Run | null = null; // the one busy state
  private kernelsModule?: Promise<WebAssembly.Module>;
  private readonly store: WeightsStore;

  constructor(private readonly options: LocalEngineOptions) {
    this.store = options.store ?? new WeightsStore(null, 'this engine keeps nothing between runs');
  }

  private kernels(): Promise<WebAssembly.Module> {
    return (this.kernelsModule ??= this.options.kernels());
  }

  private async sessionOf(file: SomaFile, backend: Backend): Promise<Session> {
    return Session.create(file, backend, backend === 'wasm-simd' ? await this.kernels() : undefined);
  }

  private need(): Session {
    if (!this.session) throw new Error('no model loaded');
    return this.session;
  }

  private refuseWhileBusy(): void {
    if (this.running) throw new Error(BUSY);
  }

  /** Runs a request that answers once, with the engine's error messages. */
  private async answer<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw engineError(e);
    }
  }

  /** Runs a stream as the one busy state: refused while another runs, ended by stop() or its signal. */
  private async *exclusive<Y, R>(kind: Run['kind'], signal: AbortSignal | undefined, body: (session: Session, run: Run) => AsyncGenerator<Y, R>): AsyncGenerator<Y, R> {
    let run: Run | null = null;
    try {
      const session = this.need();
      this.refuseWhileBusy();
      const stop = new AbortController();
      run = { kind, stop, stopped: () => stop.signal.aborted || signal?.aborted === true };
      this.running = run;
      return yield* body(session, run);
    } catch (e) {
      throw engineError(e);
    } finally {
      if (run && this.running === run) this.running = null;
    }
  }

  async load(weights: ArrayBuffer, backend: BackendChoice = 'auto'): Promise<Loaded> {
    return this.answer(async () => {
      const file = await readSoma(weights);
      const chosen = pickBackend(backend);
      this.refuseWhileBusy();
      this.session = await this.sessionOf(file, chosen);
      this.file = file; // its own copy: the session copied the weights into its heap
      this.tuned = null;
      this.finetune = null;
      this.sideBySide = null;
      this.active = 'original';
      return { info: this.session.info, memoryBytes: this.session.memoryBytes() };
    });
  }

  openWeights(source: WeightsSource, backend: BackendChoice = 'auto', onProgress?: (p: WeightsProgress) => void): Promise<WeightsOutcome> {
    return openWeights(source, { store: this.store, fetch: this.options.fetch, onProgress, load: (weights) => this.load(weights, backend) });
  }

  restoreTuned(use: 'original' | 'tuned'): Promise<WeightsState> {
    return this.answer(async () => {
      const original = this.need().info.sha256;
      this.refuseWhileBusy(); // busy is no fault of the kept copy: it is not dropped for it
      const bytes = await this.store.findTuned(original);
      if (!bytes) return this.weightsState();
      try {
        await this.loadTuned(bytes);
      } catch {
        await this.store.removeTuned(); // refused: never offer it again
        return this.weightsState();
      }
      return this.switchWeights(use === 'tuned' ? 'use-tuned' : 'use-original');
    });
  }

  keepTuned(): Promise<boolean> {
    return this.answer(async () => {
      const original = this.need().info.sha256;
      const bytes = await this.exportTuned();
      return this.store.saveTuned(bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer, original);
    });
  }

  stop(): void {
    this.running?.stop.abort();
  }

  pause(): void {
    if (this.running?.kind === 'teach') this.running.stop.abort();
  }

  reset(): Promise<void> {
    return this.answer(() => {
      const session = this.need();
      if (this.running) throw new Error('cannot reset while generating: stop first');
      session.reset();
    });
  }

  private weightsState(): WeightsState {
    return { active: this.active, tuned: this.tuned?.provenance ?? null };
  }

  useWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): Promise<WeightsState> {
    return this.answer(async () => {
      const state = this.switchWeights(action);
      if (action === 'discard-tuned') await this.store.removeTuned();
      return state;
    });
  }

  private switchWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): WeightsState {
    const session = this.need();
    this.refuseWhileBusy();
    if (action === 'discard-tuned') {
      this.tuned = null;
      this.finetune = null;
    }
    if (action === 'use-tuned' && !this.tuned) throw new Error('there is no tuned model: teach it first');
    this.active = action === 'use-tuned' ? 'tuned' : 'original';
    session.setWeights(this.active === 'tuned' ? this.tuned!.theta : this.file!.weights);
    session.reset(); // a context read by other weights means nothing to these
    return this.weightsState();
  }

  loadTuned(weights: ArrayBuffer): Promise<WeightsState> {
    return this.answer(async () => {
      const session = this.need();
      this.refuseWhileBusy();
      const file = await readSoma(weights);
      if (!sameConfig(file.config, session.info.config)) throw new RangeError('this soma.bin has another shape than the loaded model: it cannot be its tuned copy');
      this.tuned = { theta: file.weights.slice(), provenance: file.provenance };
      this.finetune = null;
      return this.switchWeights('use-tuned');
    });
  }

  exportTuned(): Promise<Uint8Array> {
    return this.answer(() => {
      const session = this.need();
      if (!this.tuned) throw new Error('there is no tuned model to export');
      return writeSoma(session.info.config, this.tuned.theta, this.tuned.provenance);
    });
  }

  /** The original's and the tuned copy's samples, written by a session of their own from a fresh state. */
  compare(prompt: Uint8Array, options: GenerateRequest): Promise<SideBySide> {
    return this.answer(async () => {
      const main = this.need();
      if (!this.tuned) throw new Error('there is no tuned model: teach it first');
      this.refuseWhileBusy();
      const invalid = generateError(options);
      if (invalid) throw new RangeError(invalid);
      if (options.length > COMPARE_MAX_BYTES) throw new RangeError(`a side-by-side sample is at most ${COMPARE_MAX_BYTES} bytes`);
      this.sideBySide ??= await this.sessionOf(this.file!, main.info.backend);
      const s = this.sideBySide;
      const sample = (weights: Float32Array) => {
        s.setWeights(weights);
        s.reset();
        return Uint8Array.from(s.generate(prompt, options), (ev) => ev.byte);
      };
      return { original: sample(this.file!.weights), tuned: sample(this.tuned.theta) };
    });
  }

  generate(prompt: Uint8Array, options: GenerateOptions, stream: GenerateStreamOptions = {}): AsyncGenerator<ByteChunk, GenerateDone> {
    return this.exclusive('generate', stream.signal, (session, run) => generateChunks(session, prompt, options, run.stopped, stream.onReading));
  }

  score(text: Uint8Array, stream: StreamOptions = {}): AsyncGenerator<ScoreChunk, ScoreDone> {
    const max = this.options.maxScoreBytes ?? MAX_SCORE_BYTES;
    return this.exclusive('score', stream.signal, (session, run) => {
      if (text.length === 0) throw new RangeError('nothing to score: the text is empty');
      if (text.length > max) throw new RangeError(`the text is ${text.length} bytes: scoring takes at most ${max}`);
      return scoreChunks(session, text, run.stopped);
    });
  }

  /** `budgetMs`: pause after this much stepping (`soma tune --seconds`); the page pauses when the user says. */
  teach(text: Uint8Array | null, stream: StreamOptions & { budgetMs?: number } = {}): AsyncGenerator<FineTuneProgress, TeachPaused> {
    return this.exclusive('teach', stream.signal, (session, run) => this.tune(session, text, run, stream.budgetMs));
  }

  /** Teaches (or resumes teaching) until paused; the result becomes the tuned copy. */
  private async *tune(session: Session, text: Uint8Array | null, run: Run, budgetMs?: number): AsyncGenerator<FineTuneProgress, TeachPaused> {
    if (text) {
      const bad = fineTuneTextError(text.length);
      if (bad) throw new RangeError(bad);
      this.finetune = null;
      this.finetune = await this.newFineTune(session, text);
      yield { ...this.finetune.progress };
    } else if (!this.finetune) throw new Error('nothing to resume: give a text to teach');
    const ft = this.finetune;
    yield* streamOf<FineTuneProgress, unknown>(
      (emit) => ft.run({ budgetMs, shouldStop: run.stopped, yieldTo: yieldToLoop, evalEveryMs: this.options.evalEveryMs ?? 1500, onProgress: emit }),
      () => run.stop.abort(),
    );
    this.tuned = { theta: ft.theta.slice(), provenance: ft.provenance(this.file!.provenance, this.options.tunedWhere ?? 'in the browser tab') };
    if (this.active === 'tuned') session.setWeights(this.tuned.theta);
    return { progress: { ...ft.progress }, weights: this.weightsState() };
  }

  /** A fine-tune of the original weights on text, on this engine's backend (or the kernels it was given). */
  private async newFineTune(session: Session, text: Uint8Array): Promise<FineTune> {
    const file = this.file!;
    const settings = this.options.fineTune ?? FINETUNE_DEFAULTS;
    const floats = FineTune.shardFloats(file.config, settings);
    let engine: ShardEngine;
    if (this.options.shardEngine) engine = await this.options.shardEngine(floats);
    else if (session.backend === 'wasm-simd') {
      const k = await wasmKernels(await this.kernels(), floats);
      engine = { kernels: k, base: k.base };
    } else engine = { kernels: jsKernels(new Float32Array(floats)), base: 0 };
    return new FineTune(file.config, file.weights, text, engine, await this.sessionOf(file, session.backend), settings);
  }
}
