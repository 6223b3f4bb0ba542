// Getting soma.bin into the engine, in the engine's own thread (the worker): from IndexedDB when the
// right version is stored, else from the network with progress, else an older stored copy, else a
// file the user picks. Downloaded and picked files are verified (SHA-256 against the header, and
// every other check of the format: the engine's load does them) before they are stored. The page
// hears only the progress and the outcome: reading, copying, hashing and storing a few MB used to be
// the page's main-thread work at start-up.
import { fetchWeights } from './fetch-weights';
import type { Loaded, WeightsId, WeightsOrigin, WeightsOutcome, WeightsProgress, WeightsSource } from './protocol';
import type { WeightsStore } from './weights-store';

/**
 * The download's progress is told at most this often. Each message is a task on the page's main
 * thread that re-renders it: one per chunk of the body made forty or more at start-up.
 */
export const PROGRESS_EVERY_MS = 100;

/** A soma.bin holds at most 64 Mi parameters: a file much larger is not one. */
const MAX_FILE_BYTES = 300 * 1024 * 1024;

export const FILE_PROTOCOL_REASON =
  'This page was opened from a file (file://). Browsers do not let such a page read the files next to it, so it cannot load soma.bin by itself, and it cannot install for offline use. Pick soma.bin below, or serve this folder (for example with “python3 -m http.server” run inside it) and open it over http.';

export interface WeightsOpening {
  store: WeightsStore;
  /** The engine's load: it checks and decodes the bytes, and rejects with the reason when it refuses them. It must leave the buffer whole (it is stored after). */
  load: (weights: ArrayBuffer) => Promise<Loaded>;
  fetch?: typeof fetch; // the tests' stand-in for the network
  onProgress?: (p: WeightsProgress) => void;
}

type Attempt = { ok: true; loaded: Loaded } | { ok: false; problem: string };

/** Opens the weights from `source`. Never throws: a failure is an outcome that says why. */
export function openWeights(source: WeightsSource, o: WeightsOpening): Promise<WeightsOutcome> {
  return source.kind === 'file' ? new Opening(o).file(source.file, source.name, source.shipped) : new Opening(o).shipped(source.url, source.base, source.shipped, source.fromFile);
}

const idOf = ({ info }: Loaded): WeightsId => ({ version: info.version, sha256: info.sha256, fileBytes: info.fileBytes });

class Opening {
  constructor(private readonly o: WeightsOpening) {}

  private tell(phase: WeightsProgress['phase'], loaded = 0, total: number | null = null): void {
    this.o.onProgress?.({ phase, loaded, total });
  }

  private ready(loaded: Loaded, origin: WeightsOrigin, stored: boolean, note?: string): WeightsOutcome {
    return { ready: true, loaded, origin, stored, storage: this.o.store.mode, ...(note ? { note } : {}) };
  }

  private refused(problem: string): WeightsOutcome {
    return { ready: false, problem, storage: this.o.store.mode };
  }

  private async load(bytes: ArrayBuffer): Promise<Attempt> {
    try {
      return { ok: true, loaded: await this.o.load(bytes) };
    } catch (e) {
      return { ok: false, problem: (e as Error).message };
    }
  }

  async shipped(url: string, base: string, shipped: WeightsId | null, fromFile: boolean): Promise<WeightsOutcome> {
    const { store } = this.o;
    this.tell('checking');
    const hit = await store.find(shipped);
    if (hit) {
      this.tell('loading');
      const stored = await this.load(hit.bytes);
      if (stored.ok) return this.ready(stored.loaded, 'stored', true);
      await store.remove(hit); // refused by the engine: never offer it again
    }

    let problem = FILE_PROTOCOL_REASON;
    if (!fromFile) {
      const fetched = await this.download(url, base, shipped);
      // A damaged download is said as it is, not hidden behind an older stored copy.
      if ('outcome' in fetched) return fetched.outcome;
      problem = fetched.problem;
    }
    // No network copy: an earlier version kept in IndexedDB still beats asking for a file.
    const older = await store.find(null);
    if (older) {
      this.tell('loading');
      const stored = await this.load(older.bytes);
      const note = `soma.bin could not be loaded (${problem.replace(/\.$/, '')}), so the page is using the copy stored on ${new Date(older.savedAt).toLocaleDateString()}.`;
      if (stored.ok) return this.ready(stored.loaded, 'stored', true, note); // kept: this version, for the next visit too
    }
    return this.refused(problem);
  }

  /** Downloads, verifies, loads and stores soma.bin: the outcome, or why there was nothing to verify. */
  private async download(url: string, base: string, shipped: WeightsId | null): Promise<{ outcome: WeightsOutcome } | { problem: string }> {
    // Fetched from the page's address, and named in messages as the page names it.
    const fetchImpl = this.o.fetch ?? fetch;
    const fromPage = ((input: RequestInfo | URL, init?: RequestInit) => fetchImpl(new URL(String(input), base), init)) as typeof fetch;
    this.tell('downloading', 0, shipped?.fileBytes ?? null);
    let toldAt = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await fetchWeights(
        url,
        (loaded, total) => {
          const now = performance.now();
          if (now - toldAt < PROGRESS_EVERY_MS && loaded !== total) return;
          toldAt = now;
          this.tell('downloading', loaded, total);
        },
        shipped?.fileBytes,
        fromPage,
      );
    } catch (e) {
      return { problem: `soma.bin could not be downloaded: ${(e as Error).message}. Pick the file below, or drop it here.` };
    }
    const kept = await this.verifyAndKeep(bytes, 'network', 'network', shipped);
    return { outcome: kept.ready ? kept : this.refused(`The downloaded soma.bin is damaged or not a SOMA model. ${kept.problem}`) };
  }

  /** Takes a soma.bin the user picked or dropped. */
  async file(file: Blob, name: string, shipped: WeightsId | null): Promise<WeightsOutcome> {
    if (file.size > MAX_FILE_BYTES) return this.refused(`${name} is ${(file.size / 1e6).toFixed(0)} MB, too large to be a soma.bin.`);
    this.tell('verifying');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      return this.refused(`${name} could not be read: ${(e as Error).message}`);
    }
    const kept = await this.verifyAndKeep(bytes, 'file', name, shipped);
    return kept.ready ? kept : this.refused(`${name} is not a usable soma.bin: ${kept.problem}`);
  }

  /** Loads bytes (the engine verifies them) and stores them once it has taken them; the refusal's reason otherwise. */
  private async verifyAndKeep(bytes: Uint8Array, origin: WeightsOrigin, label: string, shipped: WeightsId | null): Promise<WeightsOutcome> {
    this.tell('verifying', bytes.length, bytes.length);
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const buffer = whole ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    const attempt = await this.load(buffer);
    if (!attempt.ok) return this.refused(attempt.problem.replace(/^soma\.bin: /, ''));
    const id = idOf(attempt.loaded);
    const stored = await this.o.store.save(id, buffer, label);
    const note = origin === 'file' && shipped && shipped.sha256 !== id.sha256 ? `Using ${label}, not the soma.bin this page ships.` : undefined;
    return this.ready(attempt.loaded, origin, stored, note);
  }
}
