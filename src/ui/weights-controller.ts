// Getting soma.bin into the engine, as the page sees it. The engine finds, downloads, verifies,
// loads and stores it in its own thread (see openWeights in the protocol); the page shows the
// progress it hears and the outcome, and passes on a file the user picks without reading it.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { StoreMode, WeightsId, WeightsOrigin, WeightsOutcome, WeightsProgress, WeightsSource } from '../engine/protocol';

export type WeightsPhase = 'checking' | 'downloading' | 'verifying' | 'loading' | 'need-file' | 'ready';
export type { WeightsOrigin };

export interface WeightsSetup {
  url: string; // soma.bin, relative to the page
  shipped: WeightsId | null; // the file this build ships, when the build could read it
  fromFile: boolean; // the page was opened from file://
  /** The engine's openWeights, with the page's choice of backend. */
  open: (source: WeightsSource, onProgress: (p: WeightsProgress) => void) => Promise<WeightsOutcome>;
  /** Asks the browser to keep the stored weights under storage pressure; null when it cannot say. */
  persist?: () => Promise<boolean | null>;
}

/**
 * navigator.storage.persist() exists only in a window, not in a worker: the page asks it, once the
 * engine has stored the weights.
 */
export const askPersist = async (): Promise<boolean | null> => {
  try {
    return (await globalThis.navigator?.storage?.persist?.()) ?? null;
  } catch {
    return null; // persistence is a request, not a requirement
  }
};

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
  storage: StoreMode = { kind: 'indexeddb', persisted: null };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly setup: WeightsSetup,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  private readonly onProgress = (p: WeightsProgress): void => {
    this.phase = p.phase;
    if (p.phase === 'downloading') this.progress = { loaded: p.loaded, total: p.total };
    this.host.requestUpdate();
  };

  /** Finds the weights: stored, downloaded, or asked for. Never throws. */
  start(): Promise<void> {
    const { url, shipped, fromFile } = this.setup;
    this.phase = 'checking';
    this.host.requestUpdate();
    return this.open({ kind: 'shipped', url, base: document.baseURI, shipped, fromFile });
  }

  /** Takes a soma.bin the user picked or dropped: the engine reads it, in its own thread. */
  async useFile(file: File): Promise<void> {
    if (this.phase === 'verifying' || this.phase === 'loading') return;
    this.phase = 'verifying';
    this.host.requestUpdate();
    await this.open({ kind: 'file', file, name: file.name, shipped: this.setup.shipped });
  }

  private async open(source: WeightsSource): Promise<void> {
    let outcome: WeightsOutcome;
    try {
      outcome = await this.setup.open(source, this.onProgress);
    } catch (e) {
      outcome = { ready: false, problem: (e as Error).message, storage: this.storage };
    }
    this.storage = outcome.storage;
    if (!outcome.ready) {
      this.phase = 'need-file';
      this.problem = outcome.problem;
      return this.host.requestUpdate();
    }
    this.phase = 'ready';
    this.problem = undefined;
    this.origin = outcome.origin;
    this.stored = outcome.stored;
    // Each outcome says its own note: one from an earlier outcome no longer holds.
    this.note = outcome.note;
    this.host.requestUpdate();
    if (outcome.stored && outcome.storage.kind === 'indexeddb') {
      const persisted = await (this.setup.persist ?? askPersist)();
      this.storage = { kind: 'indexeddb', persisted };
      this.host.requestUpdate();
    }
  }
}
