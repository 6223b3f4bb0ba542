// The time-lapse, kept for offline use: after the first visit has the app and the model stored,
// its frames are fetched in the background into the cache the service worker serves them from,
// one at a time, with progress. Storage is asked first: when the quota cannot take them, the
// page says so before the user goes offline, and nothing else is touched.
import type { ReactiveControllerHost } from 'lit';
import { ChangeController } from './change-controller';
import { parseTimelapseIndex } from '../engine/protocol';

/** The service worker's runtime cache for frames (vite.config.ts), and the URL the app asks for. */
export const FRAME_CACHE = 'soma-timelapse';
export const frameUrl = (f: { file: string; sha256: string }): string => `timelapse/${f.file}?sha=${f.sha256.slice(0, 16)}`;

export type PrefetchState =
  | { kind: 'waiting' } // not started: the first visit is still storing the app and the model
  | { kind: 'saving'; done: number; total: number }
  | { kind: 'saved'; total: number }
  | { kind: 'no-room'; reason: string } // the quota cannot take the frames
  | { kind: 'failed'; reason: string };

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
/** Room kept free beside the frames, so they never fill the quota to its last byte. */
const MARGIN_BYTES = 1_000_000;

export class TimelapsePrefetch extends EventTarget {
  state: PrefetchState = { kind: 'waiting' };
  private started = false;

  private set(state: PrefetchState): void {
    this.state = state;
    this.dispatchEvent(new Event('change'));
  }

  /** Fetches every frame not in the cache yet; once per page. */
  async start(fetchImpl: typeof fetch = fetch): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (typeof caches === 'undefined') return this.set({ kind: 'failed', reason: 'this browser keeps no cache for the page here' });
    try {
      const res = await fetchImpl('timelapse/index.json');
      if (!res.ok) throw new Error(`timelapse/index.json: the server answered ${res.status}`);
      const index = parseTimelapseIndex(await res.json());
      const cache = await caches.open(FRAME_CACHE);
      const key = (f: (typeof index.frames)[number]) => new URL(frameUrl(f), document.baseURI).href;
      const missing = [];
      for (const f of index.frames) if (!(await cache.match(key(f)))) missing.push(f);
      const total = index.frames.length;
      const need = missing.reduce((n, f) => n + f.fileBytes, 0);
      const estimate = await navigator.storage?.estimate?.();
      if (estimate?.quota !== undefined && need > 0) {
        const free = estimate.quota - (estimate.usage ?? 0);
        if (free < need + MARGIN_BYTES) return this.set({ kind: 'no-room', reason: `its ${total} frames need ${mb(need)} of storage, and this browser allows ${mb(Math.max(0, free))} more` });
      }
      let done = total - missing.length;
      this.set({ kind: 'saving', done, total });
      for (const f of missing) {
        const r = await fetchImpl(frameUrl(f));
        if (!r.ok) throw new Error(`${f.file}: the server answered ${r.status}`);
        try {
          await cache.put(key(f), r);
        } catch (e) {
          // Refused for room: give back what this run took, so the model and a tuned copy keep theirs.
          if ((e as Error).name === 'QuotaExceededError') for (const g of missing) await cache.delete(key(g));
          throw e;
        }
        this.set({ kind: 'saving', done: ++done, total });
      }
      this.set({ kind: 'saved', total });
    } catch (e) {
      const err = e as Error;
      if (err.name === 'QuotaExceededError') this.set({ kind: 'no-room', reason: 'this browser does not allow it enough storage for its frames' });
      else this.set({ kind: 'failed', reason: `its frames could not be saved (${err.message})` });
    }
  }
}

/** Brings the prefetch's state into a component. */
export class PrefetchController extends ChangeController<TimelapsePrefetch> {
  constructor(host: ReactiveControllerHost, readonly prefetch: TimelapsePrefetch) {
    super(host, prefetch);
  }

  get state(): PrefetchState {
    return this.prefetch.state;
  }
}
