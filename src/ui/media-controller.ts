// A media query's answer, brought into a component: the host updates when it changes.
import type { ReactiveControllerHost } from 'lit';
import { ChangeController } from './change-controller';

export class MediaController extends ChangeController<MediaQueryList> {
  constructor(host: ReactiveControllerHost, query: string) {
    super(host, matchMedia(query));
  }

  get matches(): boolean {
    return this.source!.matches;
  }
}
