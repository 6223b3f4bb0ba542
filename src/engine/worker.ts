// The engine's worker entry: the engine, with the weights' store, served over the worker's messages.
import kernelsUrl from '../../wasm/build/kernels.wasm?url';
import { LocalEngine } from './local-engine';
import { serve } from './serve';
import { WeightsStore } from './weights-store';

// Asked for at once, so the fetch overlaps the weights' reading (6 KB: cheap when the JS backend runs).
const kernelsModule = fetch(kernelsUrl).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`kernels: HTTP ${r.status}`)))).then((b) => WebAssembly.compile(b));
kernelsModule.catch(() => {}); // reported when asked for, not as an unhandled rejection here
// The weights this build ships are read from IndexedDB now, while the page's own script still runs.
const store = WeightsStore.open();
if (import.meta.env.SOMA_WEIGHTS) store.readAhead(import.meta.env.SOMA_WEIGHTS);
serve(new LocalEngine({ kernels: () => kernelsModule, store }), self as unknown as DedicatedWorkerGlobalScope);
