// Start-up: the engine (in a worker, or in the page when opened from file://), which keeps the
// weights, the service worker, and the app that shows them all.
import { engineWorker } from './boot/engine-worker'; // first: the worker starts while the rest is evaluated
import { appShell } from './boot/service-worker';
import { EngineClient } from './engine/client';
import { InPageEngine } from './boot/in-page-engine';
import type { BackendChoice } from './engine/protocol';
import './ui/soma-app';

const fromFile = location.protocol === 'file:';

/** ?backend=js or ?backend=wasm forces an engine; anything else lets the engine choose. */
function backendChoice(): BackendChoice {
  if (fromFile) return 'js'; // the WASM kernels can't be fetched from file://
  const asked = new URLSearchParams(location.search).get('backend');
  return asked === 'js' ? 'js' : asked === 'wasm' || asked === 'wasm-simd' ? 'wasm-simd' : 'auto';
}

/**
 * From file:// the engine runs here in the page (src/engine/in-page.ts), from a script of its own
 * beside this bundle, loaded only then. Its address is taken now: a classic script can only find
 * its own while it first runs.
 */
const inPageEngine = () => new InPageEngine((document.currentScript as HTMLScriptElement | null)?.src || document.baseURI);

const engine = engineWorker ? new EngineClient(engineWorker) : inPageEngine();
// The time-lapse's engine: a second worker, started when the time-lapse first loads a frame into it.
// From file:// there is no time-lapse (its frames can't be fetched).
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
  shell: appShell(import.meta.env.PROD),
};
