// The worker's side of the protocol: each request becomes one call on an Engine, and what the call
// yields and returns is posted back under the request's id. Nothing here but the mapping.
import type { Engine, Request, Response } from './protocol';
import { drain } from './stream-of';

/** Where requests come from and answers go: the worker's own scope, or a MessagePort. */
export interface RequestPort {
  postMessage(message: Response, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<Request>) => void) | null;
}

export function serve(engine: Engine, port: RequestPort): void {
  const post = (r: Response, transfer: Transferable[] = []) => port.postMessage(r, transfer);

  async function answer(req: Request): Promise<void> {
    const id = req.id;
    switch (req.type) {
      case 'load': return post({ id, type: 'loaded', loaded: await engine.load(req.weights, req.backend) });
      case 'open-weights': {
        const outcome = await engine.openWeights(req.source, req.backend, (progress) => post({ id, type: 'weights-progress', progress }));
        return post({ id, type: 'weights-opened', outcome });
      }
      case 'restore-tuned': return post({ id, type: 'weights-state', weights: await engine.restoreTuned(req.use) });
      case 'keep-tuned': return post({ id, type: 'kept', stored: await engine.keepTuned() });
      case 'generate': {
        const onReading = (read: number, total: number) => post({ id, type: 'reading', read, total });
        const { reason, ...stats } = await drain(engine.generate(req.prompt, req.options, { onReading }), (chunk) => post({ id, type: 'chunk', chunk }));
        return post({ id, type: 'done', reason, stats });
      }
      case 'score': {
        const done = await drain(engine.score(req.text), (c) => post({ id, type: 'scored', chunk: c }, [c.bytes.buffer, c.bits.buffer, c.experts.buffer, c.topBytes.buffer, c.topProbs.buffer, c.router.buffer]));
        return post({ id, type: 'score-done', done });
      }
      case 'teach': {
        const paused = await drain(engine.teach(req.text), (progress) => post({ id, type: 'progress', progress }));
        return post({ id, type: 'paused', ...paused });
      }
      case 'stop':
        engine.stop();
        return post({ id, type: 'ok' });
      case 'pause':
        engine.pause();
        return post({ id, type: 'ok' });
      case 'reset':
        await engine.reset();
        return post({ id, type: 'ok' });
      case 'weights': return post({ id, type: 'weights-state', weights: await engine.useWeights(req.action) });
      case 'load-tuned': return post({ id, type: 'weights-state', weights: await engine.loadTuned(req.weights) });
      case 'export-tuned': {
        const bytes = await engine.exportTuned();
        return post({ id, type: 'file', bytes }, [bytes.buffer]);
      }
      case 'compare': {
        const samples = await engine.compare(req.prompt, req.options);
        return post({ id, type: 'compared', samples }, [samples.original.buffer, samples.tuned.buffer]);
      }
      default: throw new Error(`engine error: unknown request ${JSON.stringify((req as { type: unknown }).type)}`);
    }
  }

  // The engine's errors carry their final message (LocalEngine says so); the worker only forwards it.
  port.onmessage = (e) => void answer(e.data).catch((err: Error) => post({ id: e.data.id, type: 'error', message: err.message }));
}
