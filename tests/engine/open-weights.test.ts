// Opening the weights in the engine's thread (LocalEngine.openWeights, over a store in memory and a
// scripted network): stored, downloaded, an older copy, a picked file; corrupt and refused files;
// the tuned copy kept and brought back; and the same through the worker's protocol, over a real
// MessageChannel, where the page hears only progress and the outcome and the weights are moved.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/engine/client';
import { LocalEngine } from '../../src/engine/local-engine';
import { FILE_PROTOCOL_REASON } from '../../src/engine/open-weights';
import type { WeightsId, WeightsOutcome, WeightsProgress, WeightsSource } from '../../src/engine/protocol';
import { type RequestPort, serve } from '../../src/engine/serve';
import { type KeyValue, WeightsStore, weightsKey } from '../../src/engine/weights-store';
import type { SomaConfig } from '../../src/model/config';
import { readSoma } from '../../src/model/format';
import { somaBytes } from '../helpers';

const BASE = 'https://soma.test/app/';
const TINY: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };

let good: Uint8Array;
let other: Uint8Array;
beforeAll(async () => {
  good = await somaBytes(TINY, 1);
  other = await somaBytes(TINY, 2);
});

function memoryKv(): KeyValue & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: async (k) => map.get(k), set: async (k, v) => void map.set(k, v), del: async (k) => void map.delete(k), keys: async () => [...map.keys()] };
}

const idOf = async (b: Uint8Array): Promise<WeightsId> => {
  const f = await readSoma(b);
  return { version: f.version, sha256: f.sha256, fileBytes: f.fileBytes };
};

type Serve = Uint8Array | 'offline' | 404 | (() => Response);

/** A LocalEngine with a store and a scripted network; what it fetched and the progress it told. */
function engineWith(o: { store?: WeightsStore; serve?: Serve } = {}) {
  const fetched: string[] = [];
  const told: WeightsProgress[] = [];
  const serve = o.serve ?? good;
  const store = o.store ?? new WeightsStore(memoryKv());
  const engine = new LocalEngine({
    kernels: () => Promise.reject(new Error('the JS backend needs no kernels')),
    store,
    fetch: (async (url: URL) => {
      fetched.push(url.href.replace(BASE, ''));
      if (serve === 'offline') throw new TypeError('Failed to fetch');
      if (serve === 404) return new Response('no', { status: 404 });
      if (typeof serve === 'function') return serve();
      return new Response(serve.slice());
    }) as typeof fetch,
  });
  const open = (source: WeightsSource): Promise<WeightsOutcome> => engine.openWeights(source, 'js', (p) => told.push(p));
  const shipped = (shipped: WeightsId | null, fromFile = false) => open({ kind: 'shipped', url: 'soma.bin', base: BASE, shipped, fromFile });
  const file = (bytes: Uint8Array, name: string, shipped: WeightsId | null = null) => open({ kind: 'file', file: new Blob([bytes.slice()]), name, shipped });
  return { engine, store, fetched, told, shipped, file };
}

const ready = (o: WeightsOutcome) => (o.ready ? o : expect.unreachable(`not ready: ${o.problem}`));
const problem = (o: WeightsOutcome) => (o.ready ? expect.unreachable('ready') : o.problem);

describe('opening the weights in the engine', () => {
  it('downloads, verifies and stores them on a first visit; the next visit takes them from the store', async () => {
    const store = new WeightsStore(memoryKv());
    const shipped = await idOf(good);
    const first = engineWith({ store });
    const opened = ready(await first.shipped(shipped));
    expect([opened.origin, opened.stored, opened.loaded.info.sha256, first.fetched]).toEqual(['network', true, shipped.sha256, ['soma.bin']]);
    expect(first.told.map((p) => p.phase)).toEqual(['checking', 'downloading', 'downloading', 'verifying']);
    expect(first.told.filter((p) => p.phase === 'downloading').at(-1)).toEqual({ phase: 'downloading', loaded: good.length, total: good.length });
    const again = engineWith({ store });
    const reopened = ready(await again.shipped(shipped));
    expect([reopened.origin, reopened.stored, reopened.loaded.info.sha256, again.fetched]).toEqual(['stored', true, shipped.sha256, []]);
    expect(again.told.map((p) => p.phase)).toEqual(['checking', 'loading']);
  });

  it('fetches a new version when the stored one is not what the build ships, and replaces it', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const run = engineWith({ store });
    ready(await run.shipped(await idOf(good)));
    expect(run.fetched).toEqual(['soma.bin']);
    expect([...kv.map.keys()]).toEqual([weightsKey(await idOf(good))]);
  });

  it('offline with an older stored version, uses it and says so', async () => {
    const store = new WeightsStore(memoryKv());
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const opened = ready(await engineWith({ store, serve: 'offline' }).shipped(await idOf(good)));
    expect([opened.origin, opened.loaded.info.sha256]).toEqual(['stored', (await idOf(other)).sha256]);
    expect(opened.note).toMatch(/could not be loaded \(soma\.bin could not be downloaded: the request for soma\.bin failed .* using the copy stored on/);
  });

  it('works from memory without storage, and says why a file is needed when the download fails or the page is a file', async () => {
    const unstored = ready(await engineWith({ store: new WeightsStore(null) }).shipped(null));
    expect([unstored.stored, unstored.storage]).toEqual([false, { kind: 'memory', reason: 'this browser has no IndexedDB' }]);
    expect(problem(await engineWith({ serve: 404 }).shipped(null))).toMatch(/^soma\.bin could not be downloaded: the server answered 404 for soma\.bin/);
    const page = engineWith();
    expect(problem(await page.shipped(null, true))).toBe(FILE_PROTOCOL_REASON);
    expect(page.fetched).toEqual([]);
    const picked = ready(await page.file(good, 'soma.bin', await idOf(other)));
    expect([picked.origin, picked.stored, picked.note]).toEqual(['file', true, 'Using soma.bin, not the soma.bin this page ships.']);
  });

  it('names a corrupt download as such, never hides it behind an older copy, and stores nothing corrupt', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const bad = good.slice();
    bad[bad.length - 3] ^= 1;
    const run = engineWith({ store, serve: bad });
    expect(problem(await run.shipped(await idOf(good)))).toMatch(/^The downloaded soma\.bin is damaged or not a SOMA model\. SHA-256 mismatch/);
    expect([...kv.map.keys()]).toEqual([weightsKey(await idOf(other))]);
    expect(problem(await run.file(bad, 'mine.bin'))).toMatch(/^mine\.bin is not a usable soma\.bin: SHA-256 mismatch/);
    expect(problem(await run.file(new TextEncoder().encode('hello, not a model'), 'notes.txt'))).toMatch(/^notes\.txt is not a usable soma\.bin: bad magic/);
    expect([...kv.map.keys()]).toEqual([weightsKey(await idOf(other))]);
  });

  it('drops a stored copy the engine refuses, and fetches again', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    const shipped = await idOf(good);
    const damaged = good.slice();
    damaged[damaged.length - 3] ^= 1;
    await store.save(shipped, damaged.buffer, 'network'); // stored under the right key, damaged since
    const run = engineWith({ store });
    expect(ready(await run.shipped(shipped)).origin).toBe('network');
    expect(run.fetched).toEqual(['soma.bin']);
    expect(new Uint8Array((await store.find(shipped))!.bytes)).toEqual(good);
  });

  it('reports a full disk and keeps the weights loaded from memory', async () => {
    const kv = memoryKv();
    kv.set = async () => {
      throw new DOMException('over quota', 'QuotaExceededError');
    };
    const opened = ready(await engineWith({ store: new WeightsStore(kv) }).shipped(null));
    expect([opened.origin, opened.stored, opened.storage]).toEqual(['network', false, { kind: 'memory', reason: "the browser's storage quota is full" }]);
  });

  it('tells the download a few times, not once for every chunk of the body', async () => {
    const chunks = 200;
    const step = Math.ceil(good.length / chunks);
    const body = () =>
      new ReadableStream<Uint8Array>({
        async pull(c) {
          for (let at = 0; at < good.length; at += step) c.enqueue(good.slice(at, at + step));
          c.close();
        },
      });
    const run = engineWith({ serve: () => new Response(body(), { headers: { 'content-length': String(good.length) } }) });
    ready(await run.shipped(await idOf(good)));
    const downloads = run.told.filter((p) => p.phase === 'downloading');
    expect(downloads.at(-1)).toEqual({ phase: 'downloading', loaded: good.length, total: good.length });
    expect(downloads.length).toBeLessThan(5); // the whole body arrives within PROGRESS_EVERY_MS here
  });
});

describe('the tuned copy, kept by the engine', () => {
  async function withTuned() {
    const run = engineWith();
    const opened = ready(await run.shipped(null));
    return { ...run, original: opened.loaded.info.sha256 };
  }

  it('is kept beside the original, brought back with the model chosen last, and forgotten on discard', async () => {
    const { engine, store, original } = await withTuned();
    expect(await engine.restoreTuned('tuned')).toEqual({ active: 'original', tuned: null }); // none kept yet
    const tunedFile = await somaBytes(TINY, 3);
    await engine.loadTuned(tunedFile.slice().buffer);
    expect(await engine.keepTuned()).toBe(true);
    expect(await store.findTuned(original)).toBeDefined();

    const next = engineWith({ store });
    ready(await next.shipped(null));
    const restored = await next.engine.restoreTuned('tuned');
    expect([restored.active, restored.tuned?.method]).toEqual(['tuned', 'test init']);
    await next.engine.useWeights('discard-tuned');
    expect(await store.findTuned(original)).toBeUndefined();
  });

  it('forgets a kept copy the engine refuses, but not one it could not take while busy', async () => {
    const { engine, store, original } = await withTuned();
    await store.saveTuned(new Uint8Array([9]).buffer, original);
    expect(await engine.restoreTuned('tuned')).toEqual({ active: 'original', tuned: null });
    expect(await store.findTuned(original)).toBeUndefined();

    await store.saveTuned(new Uint8Array([9]).buffer, original);
    const running = engine.generate(new Uint8Array([84]), { length: 2000, temperature: 1, topK: 0, topP: 1, repeatPenalty: 1, repeatWindow: 0, seed: 1, continue: false });
    await running.next();
    await expect(engine.restoreTuned('tuned')).rejects.toThrow('busy');
    expect(await store.findTuned(original)).toBeDefined();
    engine.stop();
    while (!(await running.next()).done);
  });
});

describe('opening the weights through the worker protocol', () => {
  /** The page's client and a served engine, joined by a real MessageChannel. */
  function overChannel(run: ReturnType<typeof engineWith>) {
    const channel = new MessageChannel();
    serve(run.engine, channel.port2 as unknown as RequestPort);
    const client = new EngineClient(channel.port1);
    return { client, close: () => (client.terminate(), channel.port2.close()) };
  }

  it('the page hears the progress and the outcome; the stored weights come back without the page reading them', async () => {
    const store = new WeightsStore(memoryKv());
    const shipped = await idOf(good);
    ready(await engineWith({ store }).shipped(shipped));
    const { client, close } = overChannel(engineWith({ store }));
    const told: WeightsProgress[] = [];
    const opened = ready(await client.openWeights({ kind: 'shipped', url: 'soma.bin', base: BASE, shipped, fromFile: false }, 'js', (p) => told.push(p)));
    expect([opened.origin, opened.loaded.info.sha256, told.map((p) => p.phase)]).toEqual(['stored', shipped.sha256, ['checking', 'loading']]);
    close();
  });

  it('a refusal is an outcome, and a tuned copy is moved to the engine, not copied', async () => {
    const run = engineWith({ serve: 404 });
    const { client, close } = overChannel(run);
    expect(problem(await client.openWeights({ kind: 'shipped', url: 'soma.bin', base: BASE, shipped: null, fromFile: false }, 'js'))).toMatch(/server answered 404/);
    await run.engine.load(good.slice().buffer, 'js');
    const tuned = (await somaBytes(TINY, 3)).slice().buffer;
    expect((await client.loadTuned(tuned)).active).toBe('tuned');
    expect(tuned.byteLength).toBe(0); // detached: transferred
    expect(await client.keepTuned()).toBe(true);
    close();
  });
});
