// Outside state entering a component: the host updates whenever its source says 'change'.
// The engine state, the service worker's shell, the time-lapse prefetch and media queries all
// come in this way.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class ChangeController<T extends EventTarget> implements ReactiveController {
  private followed?: T;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    source?: T,
  ) {
    host.addController(this);
    this.follow(source);
  }

  /** The source followed now. */
  get source(): T | undefined {
    return this.followed;
  }

  /** Follows another source (a host may pass its property in on each update). */
  follow(source: T | undefined): void {
    if (source === this.followed) return;
    this.followed?.removeEventListener('change', this.onChange);
    this.followed = source;
    this.followed?.addEventListener('change', this.onChange);
  }

  hostConnected(): void {
    this.followed?.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.followed?.removeEventListener('change', this.onChange);
  }
}
