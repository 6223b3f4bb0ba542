// The engine's worker entry: hands protocol messages to an EngineHost.
import kernelsUrl from '../../wasm/build/kernels.wasm?url';
import { EngineHost } from './host';
import type { Request, Response } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let kernels: Promise<WebAssembly.Module> | undefined;
const host = new EngineHost(
  (r: Response, transfer?: Transferable[]) => scope.postMessage(r, transfer ?? []),
  () => (kernels ??= fetch(kernelsUrl).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`kernels: HTTP ${r.status}`)))).then((b) => WebAssembly.compile(b))),
);
scope.onmessage = (e: MessageEvent<Request>) => void host.handle(e.data);
