// A stand-in for the engine's worker, for a page opened from file://: Chromium refuses to start a
// worker from a file URL, so the same EngineHost answers the same protocol here in the page, over a
// MessageChannel (which copies messages exactly as a worker's postMessage does). It generates in
// slices of about a frame and yields between them, so the page stays responsive and Stop works.
import { EngineHost } from '../engine/host';
import type { Request, Response } from '../engine/protocol';

/** The WASM kernels can't be fetched from file:// either: this engine runs the JS backend only. */
const NO_KERNELS = (): Promise<WebAssembly.Module> => Promise.reject(new Error('the WASM kernels cannot be fetched from a page opened from file://: use the JS backend'));

export function inPageWorker(): Worker {
  const channel = new MessageChannel();
  const engineSide = channel.port1;
  const pageSide = channel.port2;
  const host = new EngineHost((r: Response, transfer?: Transferable[]) => engineSide.postMessage(r, transfer ?? []), NO_KERNELS);
  engineSide.onmessage = (e: MessageEvent<Request>) => void host.handle(e.data);
  const worker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage: (message: unknown, transfer: Transferable[] = []) => pageSide.postMessage(message, transfer),
    terminate: () => {
      engineSide.close();
      pageSide.close();
    },
  };
  pageSide.onmessage = (e: MessageEvent) => worker.onmessage?.(e);
  // EngineClient uses only these four members of a Worker.
  return worker as unknown as Worker;
}
