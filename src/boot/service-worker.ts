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
  /** Activates the waiting version and reloads onto it. */
  applyUpdate(): void;
}

class WorkboxShell extends EventTarget implements AppShell {
  state: ShellState = { kind: 'registering' };
  private wb?: Workbox;
  private reloadWhenControlled = false;

  set(state: ShellState): void {
    this.state = state;
    this.dispatchEvent(new Event('change'));
  }

  async start(url: string): Promise<void> {
    const wb = (this.wb = new Workbox(url));
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
  applyUpdate(): void {}
}

/** Registers `sw.js` next to the page, where the browser allows service workers at all. */
export function registerAppShell(enabled: boolean, url = 'sw.js'): AppShell {
  if (!enabled) return new NoShell({ kind: 'unsupported', reason: 'the development server has no service worker' });
  if (location.protocol === 'file:') return new NoShell({ kind: 'unsupported', reason: 'browsers run no service worker for a page opened from file://' });
  if (!('serviceWorker' in navigator)) return new NoShell({ kind: 'unsupported', reason: 'this browser offers no service worker here (it needs https or localhost)' });
  const shell = new WorkboxShell();
  void shell.start(url);
  return shell;
}
