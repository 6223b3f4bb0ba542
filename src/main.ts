// Start-up: the engine (in a worker, or in the page when opened from file://), which keeps the
// weights, the service worker, and the app that shows them all.
import { registerAppShell } from './boot/service-worker';
import { EngineClient } from './engine/client';
import { LocalEngine } from './engine/local-engine';
import type { BackendChoice, Engine } from './engine/protocol';
import { WeightsStore } from './engine/weights-store';
import './ui/soma-app';

const fromFile = location.protocol === 'file:';

/** ?backend=js or ?backend=wasm forces an engine; anything else lets the engine choose. */
function backendChoice(): BackendChoice {
  if (fromFile) return 'js'; // the WASM kernels can't be fetched from file://
  const asked = new URLSearchParams(location.search).get('backend');
  return asked === 'js' ? 'js' : asked === 'wasm' || asked === 'wasm-simd' ? 'wasm-simd' : 'auto';
}

/**
 * From file:// the engine runs here in the page: Chromium refuses to start a worker from a file
 * URL, and the WASM kernels can't be fetched either, so it runs the JS backend. It works in slices
 * of about a frame and yields between them, so the page stays responsive and Stop works. Its store
 * of the weights is then the page's too: there is no other thread to keep them in.
 */
const inPageEngine = (): Engine =>
  new LocalEngine({
    kernels: () => Promise.reject(new Error('the WASM kernels cannot be fetched from a page opened from file://: use the JS backend')),
    store: WeightsStore.open(),
  });

// Constructed while this script first runs: the built bundle finds the worker's file relative to
// document.currentScript, which is only set during that first run.
const engine = fromFile ? inPageEngine() : new EngineClient();
// The time-lapse's engine: a second worker, idle until the time-lapse loads a frame into it. It is
// made now for the same reason; from file:// there is no time-lapse (its frames can't be fetched).
const timelapseEngine = fromFile ? undefined : new EngineClient();

const app = document.querySelector('soma-app')!;
app.services = {
  engine,
  timelapseEngine,
  backend: backendChoice(),
  inPage: fromFile,
  weights: {
    url: 'soma.bin',
    shipped: import.meta.env.SOMA_WEIGHTS ?? null,
    fromFile,
  },
  shell: registerAppShell(import.meta.env.PROD),
};
