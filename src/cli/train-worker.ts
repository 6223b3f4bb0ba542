// A trainer thread: one shard, driven by messages from src/cli/train-shards.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { localShard, makeShard, type ShardHandle, type ShardSpec } from './train-shards';

const handle = localShard(await makeShard(workerData as ShardSpec));
parentPort!.on('message', async (c: { method: keyof ShardHandle; args: unknown[] }) => {
  try {
    const value = await (handle[c.method] as (...a: unknown[]) => Promise<unknown>)(...c.args);
    parentPort!.postMessage({ ok: true, value });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
