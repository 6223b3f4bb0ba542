// The page's side of the in-page engine (a page opened from file://): it loads the engine's own
// classic script on demand and stands in for the engine until then, so the app can be given an
// Engine at once. Every call waits for the script; if it cannot load, every call fails saying so.
import { type BackendChoice, type ByteChunk, type Engine, type FineTuneProgress, type GenerateDone, type GenerateOptions, type GenerateRequest, type GenerateStreamOptions, IN_PAGE_ENGINE, type Loaded, type ScoreChunk, type ScoreDone, type SideBySide, type StreamOptions, type TeachPaused, type WeightsOutcome, type WeightsProgress, type WeightsSource, type WeightsState } from '../engine/protocol';

/** Adds the script at `src` to the page, and makes the engine it defines. */
function loadScriptEngine(src: string): Promise<Engine> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => {
      const make = (globalThis as Record<string, unknown>)[IN_PAGE_ENGINE.global];
      if (typeof make === 'function') resolve(make() as Engine);
      else reject(new Error(`${IN_PAGE_ENGINE.file} did not define the engine`));
    };
    script.onerror = () => reject(new Error(`the engine's script (${IN_PAGE_ENGINE.file}) could not be loaded beside the page`));
    document.head.append(script);
  });
}

export class InPageEngine implements Engine {
  private readonly ready: Promise<Engine>;

  /** `bundleUrl` is the page's own script: the engine's lies beside it. */
  constructor(bundleUrl: string) {
    this.ready = loadScriptEngine(new URL(IN_PAGE_ENGINE.file, bundleUrl).href);
    this.ready.catch(() => {}); // each call reports it
  }

  load = async (weights: ArrayBuffer, backend?: BackendChoice): Promise<Loaded> => (await this.ready).load(weights, backend);
  openWeights = async (source: WeightsSource, backend?: BackendChoice, onProgress?: (p: WeightsProgress) => void): Promise<WeightsOutcome> => (await this.ready).openWeights(source, backend, onProgress);
  restoreTuned = async (use: 'original' | 'tuned'): Promise<WeightsState> => (await this.ready).restoreTuned(use);
  keepTuned = async (): Promise<boolean> => (await this.ready).keepTuned();
  reset = async (): Promise<void> => (await this.ready).reset();
  useWeights = async (action: 'use-original' | 'use-tuned' | 'discard-tuned'): Promise<WeightsState> => (await this.ready).useWeights(action);
  loadTuned = async (weights: ArrayBuffer): Promise<WeightsState> => (await this.ready).loadTuned(weights);
  exportTuned = async (): Promise<Uint8Array> => (await this.ready).exportTuned();
  compare = async (prompt: Uint8Array, options: GenerateRequest): Promise<SideBySide> => (await this.ready).compare(prompt, options);
  stop = (): void => void this.ready.then((e) => e.stop(), () => {});
  pause = (): void => void this.ready.then((e) => e.pause(), () => {});

  async *generate(prompt: Uint8Array, options: GenerateOptions, stream?: GenerateStreamOptions): AsyncGenerator<ByteChunk, GenerateDone> {
    return yield* (await this.ready).generate(prompt, options, stream);
  }

  async *score(text: Uint8Array, stream?: StreamOptions): AsyncGenerator<ScoreChunk, ScoreDone> {
    return yield* (await this.ready).score(text, stream);
  }

  async *teach(text: Uint8Array | null, stream?: StreamOptions): AsyncGenerator<FineTuneProgress, TeachPaused> {
    return yield* (await this.ready).teach(text, stream);
  }
}
