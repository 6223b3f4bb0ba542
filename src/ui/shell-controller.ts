// The service worker's state, brought into the page: offline-ready, or a new version waiting.
import type { ReactiveControllerHost } from 'lit';
import type { AppShell, ShellState } from '../boot/service-worker';
import { ChangeController } from './change-controller';

export class ShellController extends ChangeController<AppShell> {
  constructor(host: ReactiveControllerHost, shell: AppShell) {
    super(host, shell);
  }

  get state(): ShellState {
    return this.source!.state;
  }

  start(): void {
    this.source!.start();
  }

  applyUpdate(): void {
    this.source!.applyUpdate();
  }
}
