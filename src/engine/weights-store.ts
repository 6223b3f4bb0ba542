// The weights' home between visits: one soma.bin in IndexedDB (through idb-keyval), keyed by its
// format version and SHA-256. Saving a new one removes the others, so a new version replaces the
// old. When IndexedDB is missing, refuses to open or is over quota, the store says so and the app
// keeps the weights in memory for this visit. It lives in the engine's thread (the worker): reading
// and writing a few MB through IndexedDB is structured cloning, work kept off the page's main thread.
import { createStore, del, get, keys, set } from 'idb-keyval';
import type { StoreMode, WeightsId } from './protocol';

export interface StoredWeights extends WeightsId {
  bytes: ArrayBuffer;
  savedAt: number; // ms since the epoch
  origin: string; // "network", or the name of the file the user picked
}

/** The part of idb-keyval the store needs; the unit tests give it a Map. */
export interface KeyValue {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<IDBValidKey[]>;
}

const PREFIX = 'soma.bin ';
export const weightsKey = (id: Pick<WeightsId, 'version' | 'sha256'>): string => `${PREFIX}v${id.version} ${id.sha256}`;

const isStoredWeights = (v: unknown): v is StoredWeights =>
  typeof v === 'object' && v !== null && (v as StoredWeights).bytes instanceof ArrayBuffer && typeof (v as StoredWeights).sha256 === 'string';

/** Says in a few words why IndexedDB failed. */
function storageProblem(e: unknown): string {
  const name = (e as Error)?.name;
  if (name === 'QuotaExceededError') return "the browser's storage quota is full";
  if (name === 'InvalidStateError' || name === 'SecurityError') return 'this browser does not allow IndexedDB here (a private window?)';
  return `IndexedDB failed: ${(e as Error)?.message ?? String(e)}`;
}

export class WeightsStore {
  mode: StoreMode;
  /** A read started before anyone asked (readAhead), kept for the find() that asks for its key. */
  private ahead: { key: string; value: Promise<unknown> } | null = null;

  constructor(
    private readonly kv: KeyValue | null,
    unavailable = 'this browser has no IndexedDB',
  ) {
    this.mode = kv ? { kind: 'indexeddb', persisted: null } : { kind: 'memory', reason: unavailable };
  }

  /** The browser's IndexedDB, or a memory-only store where there is none. */
  static open(): WeightsStore {
    try {
      if (typeof indexedDB === 'undefined' || indexedDB === null) return new WeightsStore(null);
      const store = createStore('soma', 'weights');
      return new WeightsStore({
        get: (k) => get(k, store),
        set: (k, v) => set(k, v, store),
        del: (k) => del(k, store),
        keys: () => keys(store),
      });
    } catch (e) {
      return new WeightsStore(null, storageProblem(e));
    }
  }

  private fallBack(e: unknown): void {
    this.mode = { kind: 'memory', reason: storageProblem(e) };
  }

  private async weightKeys(): Promise<string[]> {
    return (await this.kv!.keys()).filter((k): k is string => typeof k === 'string' && k.startsWith(PREFIX));
  }

  /**
   * Starts reading the file with this id now, for the find() that will ask for it: the engine's
   * worker knows which file its build ships before the page asks, so the read overlaps the page's start-up.
   */
  readAhead(id: Pick<WeightsId, 'version' | 'sha256'>): void {
    if (this.mode.kind !== 'indexeddb') return;
    const key = weightsKey(id);
    const value = this.kv!.get(key);
    value.catch(() => {}); // the find() that takes it sees the failure
    this.ahead = { key, value };
  }

  /** The stored file with this id; with no id, the most recently saved one. */
  async find(id?: Pick<WeightsId, 'version' | 'sha256'> | null): Promise<StoredWeights | undefined> {
    if (this.mode.kind !== 'indexeddb') return undefined;
    const ahead = this.ahead;
    this.ahead = null; // taken once: later finds read what is stored then
    try {
      if (id) {
        const key = weightsKey(id);
        const v = await (ahead?.key === key ? ahead.value : this.kv!.get(key));
        return isStoredWeights(v) ? v : undefined;
      }
      let newest: StoredWeights | undefined;
      for (const k of await this.weightKeys()) {
        const v = await this.kv!.get(k);
        if (isStoredWeights(v) && (!newest || v.savedAt > newest.savedAt)) newest = v;
      }
      return newest;
    } catch (e) {
      this.fallBack(e);
      return undefined;
    }
  }

  /**
   * Stores a verified file and removes every other one. Returns false when it could not be stored
   * (the mode then says why); the caller carries on from memory.
   */
  async save(id: WeightsId, bytes: ArrayBuffer, origin: string): Promise<boolean> {
    if (this.mode.kind !== 'indexeddb') return false;
    this.ahead = null;
    const key = weightsKey(id);
    const entry: StoredWeights = { ...id, bytes, savedAt: Date.now(), origin };
    try {
      try {
        await this.kv!.set(key, entry);
      } catch (e) {
        if ((e as Error)?.name !== 'QuotaExceededError') throw e;
        // The old version may be what fills the quota: drop it first, then try once more.
        for (const k of await this.weightKeys()) await this.kv!.del(k);
        await this.kv!.set(key, entry);
      }
      for (const k of await this.weightKeys()) if (k !== key) await this.kv!.del(k);
      return true;
    } catch (e) {
      this.fallBack(e);
      return false;
    }
  }

  async remove(id: Pick<WeightsId, 'version' | 'sha256'>): Promise<void> {
    if (this.mode.kind !== 'indexeddb') return;
    this.ahead = null;
    try {
      await this.kv!.del(weightsKey(id));
    } catch (e) {
      this.fallBack(e);
    }
  }

  // The tuned copy ("Teach it"): one at most, under its own key, beside the original and never in
  // its place. It remembers which original it was tuned from.

  async saveTuned(bytes: ArrayBuffer, from: string): Promise<boolean> {
    if (this.mode.kind !== 'indexeddb') return false;
    try {
      await this.kv!.set(TUNED_KEY, { bytes, from, savedAt: Date.now() });
      return true;
    } catch (e) {
      this.fallBack(e);
      return false;
    }
  }

  /** The tuned copy of the original with this SHA-256, if one is stored. */
  async findTuned(from: string): Promise<ArrayBuffer | undefined> {
    if (this.mode.kind !== 'indexeddb') return undefined;
    try {
      const v = (await this.kv!.get(TUNED_KEY)) as { bytes?: unknown; from?: unknown } | undefined;
      return v && v.bytes instanceof ArrayBuffer && v.from === from ? v.bytes : undefined;
    } catch (e) {
      this.fallBack(e);
      return undefined;
    }
  }

  async removeTuned(): Promise<void> {
    if (this.mode.kind !== 'indexeddb') return;
    try {
      await this.kv!.del(TUNED_KEY);
    } catch (e) {
      this.fallBack(e);
    }
  }
}

const TUNED_KEY = 'tuned soma.bin';
