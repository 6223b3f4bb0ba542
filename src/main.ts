// Start-up: the engine (in a worker, or in the page when opened from file://), the weights' store,
// the service worker, and the app that shows them all.
import { inPageWorker } from './boot/in-page-worker';
import { registerAppShell } from './boot/service-worker';
import { EngineClient } from './engine/client';
import type { BackendChoice } from './engine/protocol';
import { WeightsStore } from './store/weights-store';
import './ui/soma-app';

const fromFile = location.protocol === 'file:';

/** ?backend=js or ?backend=wasm forces an engine; anything else lets the engine choose. */
function backendChoice(): BackendChoice {
  if (fromFile) return 'js'; // the WASM kernels can't be fetched from file://
  const asked = new URLSearchParams(location.search).get('backend');
  return asked === 'js' ? 'js' : asked === 'wasm' || asked === 'wasm-simd' ? 'wasm-simd' : 'auto';
}

// Constructed while this script first runs: the built bundle finds the worker's file relative to
// document.currentScript, which is only set during that first run.
const engine = new EngineClient(fromFile ? inPageWorker() : undefined);
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
    store: WeightsStore.open(),
    url: 'soma.bin',
    shipped: import.meta.env.SOMA_WEIGHTS ?? null,
    fromFile,
  },
  shell: registerAppShell(import.meta.env.PROD),
};
