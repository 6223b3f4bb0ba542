// The app shell's offline life, through workbox-window: registers the service worker that
// vite-plugin-pwa generates, says when the app is cached for offline use, and when a new version
// waits, and reloads onto it when the user asks.
import { Workbox } from 'workbox-window';

export type ShellState =
  | { kind: 'unsupported'; reason: string }
  | { kind: 'registering' }
  | { kind: 'offline-ready' }
  | { kind: 'update-waiting' }
  | { kind: 'failed'; reason: string };

/** What the page sees of the service worker. It dispatches 'change' when `state` changes. */
export interface AppShell extends EventTarget {
  readonly state: ShellState;
  /**
   * Registers the service worker; once only, later calls do nothing. The page calls it once the
   * model is in: the first install caches the app's files, work that competed with the model's
   * download and opening for the CPU (Lighthouse's mobile blocking time about halved without it).
   */
  start(): void;
  /** Activates the waiting version and reloads onto it. */
  applyUpdate(): void;
}

class WorkboxShell extends EventTarget implements AppShell {
  state: ShellState = { kind: 'registering' };
  private wb?: Workbox;
  private reloadWhenControlled = false;

  constructor(private readonly url: string) {
    super();
  }

  set(state: ShellState): void {
    this.state = state;
    this.dispatchEvent(new Event('change'));
  }

  start(): void {
    if (!this.wb) void this.register((this.wb = new Workbox(this.url)));
  }

  private async register(wb: Workbox): Promise<void> {
    wb.addEventListener('waiting', () => this.set({ kind: 'update-waiting' }));
    wb.addEventListener('activated', (e) => {
      if (!e.isUpdate) this.set({ kind: 'offline-ready' }); // the first install: its precache is complete
    });
    wb.addEventListener('controlling', () => {
      if (this.reloadWhenControlled) location.reload();
    });
    try {
      const reg = await wb.register();
      // Installed on an earlier visit and nothing newer waiting: the shell is cached already.
      if (reg?.active && !reg.waiting && !reg.installing && this.state.kind === 'registering') this.set({ kind: 'offline-ready' });
    } catch (e) {
      this.set({ kind: 'failed', reason: (e as Error).message });
    }
  }

  applyUpdate(): void {
    if (!this.wb) return;
    this.reloadWhenControlled = true;
    this.wb.messageSkipWaiting();
  }
}

class NoShell extends EventTarget implements AppShell {
  constructor(readonly state: ShellState) {
    super();
  }
  start(): void {}
  applyUpdate(): void {}
}

/** The shell of `sw.js` next to the page, where the browser allows service workers at all; start() registers it. */
export function appShell(enabled: boolean, url = 'sw.js'): AppShell {
  if (!enabled) return new NoShell({ kind: 'unsupported', reason: 'the development server has no service worker' });
  if (location.protocol === 'file:') return new NoShell({ kind: 'unsupported', reason: 'browsers run no service worker for a page opened from file://' });
  if (!('serviceWorker' in navigator)) return new NoShell({ kind: 'unsupported', reason: 'this browser offers no service worker here (it needs https or localhost)' });
  return new WorkboxShell(url);
}
