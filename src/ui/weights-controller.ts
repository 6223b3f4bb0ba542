// Getting soma.bin into the page: from IndexedDB when the right version is stored, else from the
// network with progress, else from a file the user picks. Downloaded and picked files are verified
// (SHA-256 against the header, and every other check of the format) before they are stored.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { fetchWeights } from '../store/fetch-weights';
import type { StoreMode, WeightsId, WeightsStore } from '../store/weights-store';

export type WeightsPhase = 'checking' | 'downloading' | 'verifying' | 'loading' | 'need-file' | 'ready';
export type WeightsOrigin = 'stored' | 'network' | 'file';

export interface WeightsSetup {
  store: WeightsStore;
  url: string; // soma.bin, relative to the page
  shipped: WeightsId | null; // the file this build ships, when the build could read it
  fromFile: boolean; // the page was opened from file://
  /** Hands the bytes to the engine, which checks and decodes them (the page never parses soma.bin); rejects with a message when it refuses them. */
  load: (bytes: Uint8Array) => Promise<WeightsId>;
  fetch?: typeof fetch; // the tests' stand-in for the network
}

/**
 * The download's progress is shown at most this often. Each chunk of the body used to re-render the
 * page: forty or more renders at start-up, each a main-thread task that Lighthouse counts.
 */
export const PROGRESS_EVERY_MS = 100;

/** A soma.bin holds at most 64 Mi parameters: a file much larger is not one. */
const MAX_FILE_BYTES = 300 * 1024 * 1024;

export const FILE_PROTOCOL_REASON =
  'This page was opened from a file (file://). Browsers do not let such a page read the files next to it, so it cannot load soma.bin by itself, and it cannot install for offline use. Pick soma.bin below, or serve this folder (for example with “python3 -m http.server” run inside it) and open it over http.';

export class WeightsController implements ReactiveController {
  phase: WeightsPhase = 'checking';
  progress: { loaded: number; total: number | null } = { loaded: 0, total: null };
  /** Why the page needs a file from the user, or what went wrong with the last one. */
  problem?: string;
  origin?: WeightsOrigin;
  /** Said when the weights in use are not the ones this build ships. */
  note?: string;
  /** The weights in use are in IndexedDB: the next visit can work offline. */
  stored = false;
  storage: StoreMode;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly setup: WeightsSetup,
  ) {
    this.storage = setup.store.mode;
    host.addController(this);
  }

  hostConnected(): void {}

  private set(phase: WeightsPhase, problem?: string): void {
    this.phase = phase;
    this.problem = problem;
    this.storage = this.setup.store.mode;
    this.host.requestUpdate();
  }

  /** Finds the weights: stored, downloaded, or asked for. Never throws. */
  async start(): Promise<void> {
    const { store, shipped, fromFile } = this.setup;
    this.set('checking');
    const hit = await store.find(shipped);
    if (hit && (await this.deliver(new Uint8Array(hit.bytes), 'stored'))) {
      this.stored = true;
      this.host.requestUpdate();
      return void store.persist();
    }
    if (hit) await store.remove(hit); // refused by the engine: never offer it again

    let problem = FILE_PROTOCOL_REASON;
    if (!fromFile) {
      const fetched = await this.download();
      if (fetched.ok) return;
      // A damaged download is said as it is, not hidden behind an older stored copy.
      if (fetched.damaged) return this.set('need-file', fetched.problem);
      problem = fetched.problem;
    }
    // No network copy: an earlier version kept in IndexedDB still beats asking for a file.
    const older = await store.find(null);
    if (older && (await this.deliver(new Uint8Array(older.bytes), 'stored'))) {
      this.stored = true; // this version, for the next visit too
      this.note = `soma.bin could not be loaded (${problem.replace(/\.$/, '')}), so the page is using the copy stored on ${new Date(older.savedAt).toLocaleDateString()}.`;
      this.host.requestUpdate();
      return;
    }
    this.set('need-file', problem);
  }

  /** Downloads, verifies and loads soma.bin; otherwise says why not. */
  private async download(): Promise<{ ok: true } | { ok: false; damaged: boolean; problem: string }> {
    const { url, shipped } = this.setup;
    this.progress = { loaded: 0, total: shipped?.fileBytes ?? null };
    this.set('downloading');
    let shownAt = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await fetchWeights(
        url,
        (loaded, total) => {
          this.progress = { loaded, total };
          const now = performance.now();
          if (now - shownAt < PROGRESS_EVERY_MS && loaded !== total) return;
          shownAt = now;
          this.host.requestUpdate();
        },
        shipped?.fileBytes,
        this.setup.fetch,
      );
    } catch (e) {
      return { ok: false, damaged: false, problem: `soma.bin could not be downloaded: ${(e as Error).message}. Pick the file below, or drop it here.` };
    }
    const result = await this.verifyAndLoad(bytes, 'network', 'network');
    return result === true ? { ok: true } : { ok: false, damaged: true, problem: `The downloaded soma.bin is damaged or not a SOMA model. ${result}` };
  }

  /** Takes a soma.bin the user picked or dropped. */
  async useFile(file: File): Promise<void> {
    if (this.phase === 'verifying' || this.phase === 'loading') return;
    if (file.size > MAX_FILE_BYTES) return this.set('need-file', `${file.name} is ${(file.size / 1e6).toFixed(0)} MB, too large to be a soma.bin.`);
    this.set('verifying');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      return this.set('need-file', `${file.name} could not be read: ${(e as Error).message}`);
    }
    const result = await this.verifyAndLoad(bytes, 'file', file.name);
    if (result !== true) this.set('need-file', `${file.name} is not a usable soma.bin: ${result}`);
  }

  private async verifyAndLoad(bytes: Uint8Array, origin: WeightsOrigin, label: string): Promise<true | string> {
    this.set('verifying');
    const id = await this.deliver(bytes, origin);
    if (!id) return (this.problem ?? 'the engine refused it').replace(/^soma\.bin: /, '');
    const { store, shipped } = this.setup;
    // Stored in a later task: storing copies the bytes (10 ms on this machine), which need not
    // lengthen the task that shows the loaded model. The engine was given a copy, so these bytes
    // are stored as they are, not copied once more.
    await new Promise((next) => setTimeout(next));
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    this.stored = await store.save(id, whole ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer, label);
    await store.persist();
    this.note = origin === 'file' && shipped && shipped.sha256 !== id.sha256 ? `Using ${label}, not the soma.bin this page ships.` : undefined;
    this.storage = store.mode;
    this.host.requestUpdate();
    return true;
  }

  /** Hands bytes to the engine; what they are, or null (with the reason in `problem`) when it refuses them. */
  private async deliver(bytes: Uint8Array, origin: WeightsOrigin): Promise<WeightsId | null> {
    this.set('loading');
    let id: WeightsId;
    try {
      id = await this.setup.load(bytes);
    } catch (e) {
      this.set('need-file', (e as Error).message);
      return null;
    }
    this.origin = origin;
    this.set('ready');
    return id;
  }
}
