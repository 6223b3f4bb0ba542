// The main thread's engine: the same Engine interface, carried out by a worker over the protocol.
import type { BackendChoice, ByteChunk, Engine, EngineStats, GenerateOptions, Loaded, Request, Response } from './protocol';

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
  private call<T extends Response['type']>(body: RequestBody, expect: T): Promise<Extract<Response, { type: T }>> {
    return new Promise((resolve, reject) => {
      const id = this.send(body, (r) => {
        this.waiters.delete(id);
        if (r.type === expect) resolve(r as Extract<Response, { type: T }>);
        else reject(new Error(r.type === 'error' ? r.message : `unexpected ${r.type}`));
      });
    });
  }

  /** The weights are copied to the worker; the caller keeps its buffer. */
  async load(weights: ArrayBuffer, backend: BackendChoice = 'auto'): Promise<Loaded> {
    return (await this.call({ type: 'load', weights, backend }, 'loaded')).loaded;
  }

  async *generate(prompt: Uint8Array, options: GenerateOptions): AsyncGenerator<ByteChunk, EngineStats & { reason: 'length' | 'stopped' }> {
    const queue: Response[] = [];
    let wake: (() => void) | null = null;
    const id = this.send({ type: 'generate', prompt, options }, (r) => {
      queue.push(r);
      wake?.();
    });
    let finished = false;
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = null;
        const r = queue.shift()!;
        if (r.type === 'chunk') yield r.chunk;
        else if (r.type === 'done' || r.type === 'error') {
          finished = true;
          if (r.type === 'error') throw new Error(r.message);
          return { ...r.stats, reason: r.reason };
        }
      }
    } finally {
      this.waiters.delete(id);
      if (!finished) this.stop(); // the caller broke off: don't leave the worker generating
    }
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
