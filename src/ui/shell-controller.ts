// The service worker's state, brought into the page: offline-ready, or a new version waiting.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { AppShell, ShellState } from '../boot/service-worker';

export class ShellController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly shell: AppShell,
  ) {
    host.addController(this);
  }

  get state(): ShellState {
    return this.shell.state;
  }

  hostConnected(): void {
    this.shell.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.shell.removeEventListener('change', this.onChange);
  }

  applyUpdate(): void {
    this.shell.applyUpdate();
  }
}
