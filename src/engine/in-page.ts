// The engine for a page opened from file://, built as a classic script of its own (vite.config.ts)
// and loaded by src/main.ts only there, so the page's bundle does not carry the engine. Chromium
// refuses to start a worker from a file URL, and the WASM kernels can't be fetched either, so it
// runs the JS backend in the page. It works in slices of about a frame and yields between them, so
// the page stays responsive and Stop works. Its store of the weights is then the page's too.
import { LocalEngine } from './local-engine';
import { type Engine, IN_PAGE_ENGINE } from './protocol';
import { WeightsStore } from './weights-store';

const make = (): Engine =>
  new LocalEngine({
    kernels: () => Promise.reject(new Error('the WASM kernels cannot be fetched from a page opened from file://: use the JS backend')),
    store: WeightsStore.open(),
  });

(globalThis as Record<string, unknown>)[IN_PAGE_ENGINE.global] = make;
