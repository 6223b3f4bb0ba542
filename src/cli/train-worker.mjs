// A trainer thread's entry: Node runs TypeScript through tsx, then the shard proper.
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
