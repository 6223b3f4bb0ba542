// The main thread's engine: the same Engine interface, carried out by a worker over the protocol.
import type { BackendChoice, ByteChunk, Engine, EngineStats, FineTuneProgress, GenerateOptions, GenerateRequest, Loaded, Request, Response, ScoreChunk, ScoreDone, SideBySide, WeightsState } from './protocol';

type Waiter = (r: Response) => void;
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

export class EngineClient implements Engine {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();

  constructor(worker?: Worker) {
    this.worker = worker ?? new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<Response>) => this.waiters.get(e.data.id)?.(e.data);
    this.worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const message = `the engine's worker failed: ${e.message || 'could not start'}`;
      for (const [id, w] of this.waiters) w({ id, type: 'error', message });
    };
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
   * Sends a request that streams answers: yields each one the map turns into a value, returns the
   * terminal one's. A caller that breaks off sends `halt` so the worker does not run on.
   */
  private async *stream<Y, R>(body: RequestBody, map: (r: Response) => { yield: Y } | { return: R } | null, halt: () => void): AsyncGenerator<Y, R> {
    const queue: Response[] = [];
    let wake: (() => void) | null = null;
    const id = this.send(body, (r) => {
      queue.push(r);
      wake?.();
    });
    let finished = false;
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = null;
        const r = queue.shift()!;
        if (r.type === 'error') {
          finished = true;
          throw new Error(r.message);
        }
        const v = map(r);
        if (!v) continue;
        if ('yield' in v) yield v.yield;
        else {
          finished = true;
          return v.return;
        }
      }
    } finally {
      this.waiters.delete(id);
      if (!finished) halt(); // the caller broke off: don't leave the worker running
    }
  }

  generate(prompt: Uint8Array, options: GenerateOptions, onReading?: (read: number, total: number) => void): AsyncGenerator<ByteChunk, EngineStats & { reason: 'length' | 'stopped' }> {
    return this.stream<ByteChunk, EngineStats & { reason: 'length' | 'stopped' }>(
      { type: 'generate', prompt, options },
      (r) => {
        if (r.type === 'reading') onReading?.(r.read, r.total);
        return r.type === 'chunk' ? { yield: r.chunk } : r.type === 'done' ? { return: { ...r.stats, reason: r.reason } } : null;
      },
      () => this.stop(),
    );
  }

  score(text: Uint8Array): AsyncGenerator<ScoreChunk, ScoreDone> {
    return this.stream<ScoreChunk, ScoreDone>({ type: 'score', text }, (r) => (r.type === 'scored' ? { yield: r.chunk } : r.type === 'score-done' ? { return: r.done } : null), () => this.stop());
  }

  teach(text: Uint8Array | null): AsyncGenerator<FineTuneProgress, { progress: FineTuneProgress; weights: WeightsState }> {
    return this.stream<FineTuneProgress, { progress: FineTuneProgress; weights: WeightsState }>(
      { type: 'teach', text },
      (r) => (r.type === 'progress' ? { yield: r.progress } : r.type === 'paused' ? { return: { progress: r.progress, weights: r.weights } } : null),
      () => this.pause(),
    );
  }

  pause(): void {
    const id = this.send({ type: 'pause' }, () => this.waiters.delete(id));
  }

  async useWeights(action: 'use-original' | 'use-tuned' | 'discard-tuned'): Promise<WeightsState> {
    return (await this.call({ type: 'weights', action }, 'weights-state')).weights;
  }

  /** The bytes are copied to the worker; the caller keeps its buffer. */
  async loadTuned(weights: ArrayBuffer): Promise<WeightsState> {
    return (await this.call({ type: 'load-tuned', weights }, 'weights-state')).weights;
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
    this.worker.terminate();
  }
}
