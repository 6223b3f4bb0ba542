// The engine's worker, started before anything else of the page runs (src/main.ts imports this
// first): it fetches and compiles its script, opens IndexedDB and fetches its kernels while the
// page's own script is still being evaluated. None from file://, where browsers start no worker.
import { startEngineWorker } from '../engine/client';

export const engineWorker = location.protocol === 'file:' ? undefined : startEngineWorker();
