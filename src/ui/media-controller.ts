// A media query's answer, brought into a component: the host updates when it changes.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class MediaController implements ReactiveController {
  private readonly query: MediaQueryList;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    query: string,
  ) {
    this.query = matchMedia(query);
    host.addController(this);
  }

  get matches(): boolean {
    return this.query.matches;
  }

  hostConnected(): void {
    this.query.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.query.removeEventListener('change', this.onChange);
  }
}
