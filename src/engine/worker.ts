// The engine's worker entry: the engine, with the weights' store, served over the worker's messages.
import kernelsUrl from '../../wasm/build/kernels.wasm?url';
import { LocalEngine } from './local-engine';
import { serve } from './serve';
import { WeightsStore } from './weights-store';

const kernels = () => fetch(kernelsUrl).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`kernels: HTTP ${r.status}`)))).then((b) => WebAssembly.compile(b));
serve(new LocalEngine({ kernels, store: WeightsStore.open() }), self as unknown as DedicatedWorkerGlobalScope);
