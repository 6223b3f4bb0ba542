// The main thread's engine: the same Engine interface, carried out by a worker over the protocol.
import type { BackendChoice, ByteChunk, Engine, FineTuneProgress, GenerateDone, GenerateOptions, GenerateRequest, GenerateStreamOptions, Loaded, Request, Response, ScoreChunk, ScoreDone, SideBySide, StreamOptions, TeachPaused, WeightsOutcome, WeightsProgress, WeightsSource, WeightsState } from './protocol';
import { streamOf } from './stream-of';
// The worker's built file, as a URL resolved while the bundle first runs: the page's classic
// script can only find its own address then, and the worker may be started much later.
import workerUrl from './worker?worker&url';

type Waiter = (r: Response) => void;
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** Starts the engine's worker. */
export const startEngineWorker = (): Worker => new Worker(workerUrl, { type: 'module' });

export class EngineClient implements Engine {
  private port?: Worker | MessagePort;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();

  /**
   * The engine's worker, or the other end of a port that serve() answers on. Given a way to start
   * one instead, it starts it at the first request: the time-lapse's engine waits until it is opened.
   */
  constructor(private readonly connect: Worker | MessagePort | (() => Worker) = startEngineWorker) {
    if (typeof connect !== 'function') this.attach(connect);
  }

  private get worker(): Worker | MessagePort {
    return this.port ?? this.attach((this.connect as () => Worker)());
  }

  private attach(port: Worker | MessagePort): Worker | MessagePort {
    port.onmessage = (e: MessageEvent<Response>) => this.waiters.get(e.data.id)?.(e.data);
    if ('onerror' in port)
      port.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        const message = `the engine's worker failed: ${e.message || 'could not start'}`;
        for (const [id, w] of this.waiters) w({ id, type: 'error', message });
      };
    return (this.port = port);
  }

  private send(body: RequestBody, onResponse: Waiter, transfer: Transferable[] = []): number {
    const id = this.nextId++;
    this.waiters.set(id, onResponse);
    this.worker.postMessage({ ...body, id } as Request, transfer);
    return id;
  }

  /** Sends a request that gets exactly one answer. */
  private call<T extends Response['type']>(body: RequestBody, expect: T, transfer: Transferable[] = []): Promise<Extract<Response, { type: T }>> {
    return new Promise((resolve, reject) => {
      const id = this.send(
        body,
        (r) => {
          this.waiters.delete(id);
          if (r.type === expect) resolve(r as Extract<Response, { type: T }>);
          else reject(new Error(r.type === 'error' ? r.message : `unexpected ${r.type}`));
        },
        transfer,
      );
    });
  }

  /**
   * The weights move to the worker: the caller's buffer is detached, not copied. Copying a few MB
   * into the message took the page's main thread 60 ms in one task on this machine, at start-up.
   */
  async load(weights: ArrayBuffer, backend: BackendChoice = 'auto'): Promise<Loaded> {
    return (await this.call({ type: 'load', weights, backend }, 'loaded', [weights])).loaded;
  }

  /**
   * The worker finds, fetches, verifies, loads and stores the weights; this thread hears only the
   * progress and the outcome. A picked file crosses as a Blob, a handle: its bytes never come here.
   */
  openWeights(source: WeightsSource, backend: BackendChoice = 'auto', onProgress?: (p: WeightsProgress) => void): Promise<WeightsOutcome> {
    return new Promise((resolve, reject) => {
      const id = this.send({ type: 'open-weights', source, backend }, (r) => {
        if (r.type === 'weights-progress') return onProgress?.(r.progress);
        this.waiters.delete(id);
        if (r.type === 'weights-opened') resolve(r.outcome);
        else reject(new Error(r.type === 'error' ? r.message : `unexpected ${r.type}`));
      });
    });
  }

  async restoreTuned(use: 'original' | 'tuned'): Promise<WeightsState> {
    return (await this.call({ type: 'restore-tuned', use }, 'weights-state')).weights;
  }

  async keepTuned(): Promise<boolean> {
    return (await this.call({ type: 'keep-tuned' }, 'kept')).stored;
  }

  /**
   * Sends a request that streams answers: yields each one the map turns into a value, returns the
   * terminal one's. `halt` (a stop or a pause) is sent when the signal aborts, or when the caller
   * breaks off, so the worker does not run on.
   */
  private stream<Y, R>(body: RequestBody, map: (r: Response) => { yield: Y } | { return: R } | null, halt: () => void, signal?: AbortSignal): AsyncGenerator<Y, R> {
    const run = (emit: (value: Y) => void) =>
      new Promise<R>((resolve, reject) => {
        const id = this.send(body, (r) => {
          if (r.type === 'error') {
            this.waiters.delete(id);
            return reject(new Error(r.message));
          }
          const v = map(r);
          if (!v) return;
          if ('yield' in v) return emit(v.yield);
          this.waiters.delete(id);
          resolve(v.return);
        });
        if (signal?.aborted) halt();
        else signal?.addEventListener('abort', halt, { once: true });
      }).finally(() => signal?.removeEventListener('abort', halt));
    return streamOf(run, halt);
  }

  generate(prompt: Uint8Array, options: GenerateOptions, stream: GenerateStreamOptions = {}): AsyncGenerator<ByteChunk, GenerateDone> {
    return this.stream<ByteChunk, GenerateDone>(
      { type: 'generate', prompt, options },
      (r) => {
        if (r.type === 'reading') stream.onReading?.(r.read, r.total);
        return r.type === 'chunk' ? { yield: r.chunk } : r.type === 'done' ? { return: { ...r.stats, reason: r.reason } } : null;
      },
      () => this.stop(),
      stream.signal,
    );
  }

  score(text: Uint8Array, stream: StreamOptions = {}): AsyncGenerator<ScoreChunk, ScoreDone> {
    return this.stream<ScoreChunk, ScoreDone>({ type: 'score', text }, (r) => (r.type === 'scored' ? { yield: r.chunk } : r.type === 'score-done' ? { return: r.done } : null), () => this.stop(), stream.signal);
  }

  teach(text: Uint8Array | null, stream: StreamOptions = {}): AsyncGenerator<FineTuneProgress, TeachPaused> {
    return this.stream<FineTuneProgress, TeachPaused>(
      { type: 'teach', text },
      (r) => (r.type === 'progress' ? { yield: r.progress } : r.type === 'paused' ? { return: { progress: r.progress, weights: r.weights } } : null),
      () => this.pause(),
      stream.signal,
    );
  }

  pause(): void {
    const id = this.send({ type: 'pause' }, () => this.waiters.delete(id));
  }

  async useWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): Promise<WeightsState> {
    return (await this.call({ type: 'weights', action }, 'weights-state')).weights;
  }

  /** The bytes move to the worker, as with load(): the caller's buffer is detached, not copied. */
  async loadTuned(weights: ArrayBuffer): Promise<WeightsState> {
    return (await this.call({ type: 'load-tuned', weights }, 'weights-state', [weights])).weights;
  }

  async exportTuned(): Promise<Uint8Array> {
    return (await this.call({ type: 'export-tuned' }, 'file')).bytes;
  }

  async compare(prompt: Uint8Array, options: GenerateRequest): Promise<SideBySide> {
    return (await this.call({ type: 'compare', prompt, options }, 'compared')).samples;
  }

  stop(): void {
    const id = this.send({ type: 'stop' }, () => this.waiters.delete(id));
  }

  async reset(): Promise<void> {
    await this.call({ type: 'reset' }, 'ok');
  }

  terminate(): void {
    if (!this.port) return;
    if ('terminate' in this.port) this.port.terminate();
    else this.port.close();
  }
}
