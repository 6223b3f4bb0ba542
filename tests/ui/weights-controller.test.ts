import { beforeAll, describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { readSoma } from '../../src/model/format';
import { type KeyValue, WeightsStore, weightsKey } from '../../src/store/weights-store';
import { FILE_PROTOCOL_REASON, type WeightsSetup, WeightsController } from '../../src/ui/weights-controller';
import { somaBytes } from '../helpers';

const TINY: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };

let good: Uint8Array;
let other: Uint8Array;
beforeAll(async () => {
  good = await somaBytes(TINY, 1);
  other = await somaBytes(TINY, 2);
});

const host = { addController() {}, removeController() {}, requestUpdate() {}, updateComplete: Promise.resolve(true) };

function memoryKv(): KeyValue & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return { map, get: async (k) => map.get(k), set: async (k, v) => void map.set(k, v), del: async (k) => void map.delete(k), keys: async () => [...map.keys()] };
}

const idOf = async (b: Uint8Array) => {
  const f = await readSoma(b);
  return { version: f.version, sha256: f.sha256, fileBytes: f.fileBytes };
};

function setup(o: Partial<WeightsSetup> & { serve?: Uint8Array | 'offline' | 404 } = {}) {
  const fetched: string[] = [];
  const loaded: Uint8Array[] = [];
  const serve = o.serve ?? good;
  const s: WeightsSetup = {
    store: o.store ?? new WeightsStore(memoryKv()),
    url: 'soma.bin',
    shipped: o.shipped ?? null,
    fromFile: o.fromFile ?? false,
    // The engine's part: it checks and decodes the bytes, and says what they are.
    load: o.load ?? (async (b) => {
      const id = await idOf(b);
      loaded.push(b);
      return id;
    }),
    fetch: (async (url: string) => {
      fetched.push(url);
      if (serve === 'offline') throw new TypeError('Failed to fetch');
      if (serve === 404) return new Response('no', { status: 404 });
      return new Response(serve.slice());
    }) as typeof fetch,
  };
  return { controller: new WeightsController(host, s), setup: s, fetched, loaded };
}

describe('getting the weights into the page', () => {
  it('downloads, verifies and stores them on a first visit, then a reload takes them from the store', async () => {
    const store = new WeightsStore(memoryKv());
    const shipped = await idOf(good);
    const first = setup({ store, shipped });
    await first.controller.start();
    expect(first.controller.phase).toBe('ready');
    expect(first.controller.origin).toBe('network');
    expect(first.controller.stored).toBe(true);
    expect(first.fetched).toEqual(['soma.bin']);
    expect(first.controller.progress).toEqual({ loaded: good.length, total: good.length });
    const again = setup({ store, shipped });
    await again.controller.start();
    expect(again.fetched).toEqual([]);
    expect(again.controller.origin).toBe('stored');
    expect(again.controller.stored).toBe(true);
    expect(again.loaded[0]).toEqual(good);
  });

  it('fetches a new version when the stored one is not what the build ships, and replaces it', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const run = setup({ store, shipped: await idOf(good) });
    await run.controller.start();
    expect(run.fetched).toEqual(['soma.bin']);
    expect([...kv.map.keys()]).toEqual([weightsKey(await idOf(good))]);
  });

  it('offline with an older stored version, uses it and says so', async () => {
    const store = new WeightsStore(memoryKv());
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const run = setup({ store, shipped: await idOf(good), serve: 'offline' });
    await run.controller.start();
    expect(run.controller.phase).toBe('ready');
    expect(run.controller.note).toMatch(/could not be loaded .* using the copy stored on/);
  });

  it('asks for a file, saying why, when the download fails or the page is a file', async () => {
    const unstored = setup({ store: new WeightsStore(null) });
    await unstored.controller.start();
    expect(unstored.controller.phase).toBe('ready');
    expect(unstored.controller.stored).toBe(false);
    const offline = setup({ serve: 404 });
    await offline.controller.start();
    expect(offline.controller.phase).toBe('need-file');
    expect(offline.controller.problem).toMatch(/the server answered 404 for soma\.bin/);
    const file = setup({ fromFile: true });
    await file.controller.start();
    expect(file.fetched).toEqual([]);
    expect(file.controller.problem).toBe(FILE_PROTOCOL_REASON);
    await file.controller.useFile(new File([good.slice()], 'soma.bin'));
    expect(file.controller.phase).toBe('ready');
    expect(file.controller.origin).toBe('file');
  });

  it('a corrupt download is named as such, never replaced by an older copy, and nothing corrupt is stored', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    await store.save(await idOf(other), other.slice().buffer, 'network');
    const bad = good.slice();
    bad[bad.length - 3] ^= 1;
    const run = setup({ store, shipped: await idOf(good), serve: bad });
    await run.controller.start();
    expect(run.controller.phase).toBe('need-file');
    expect(run.controller.problem).toMatch(/^The downloaded soma\.bin is damaged .*SHA-256 mismatch/);
    expect(run.loaded).toEqual([]);
    expect([...kv.map.keys()]).toEqual([weightsKey(await idOf(other))]);
    await run.controller.useFile(new File([bad], 'mine.bin'));
    expect(run.controller.problem).toMatch(/^mine\.bin is not a usable soma\.bin: SHA-256 mismatch/);
  });

  it('drops a stored copy the engine refuses, and fetches again', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    const shipped = await idOf(good);
    await store.save(shipped, good.slice().buffer, 'network');
    let calls = 0;
    const load = async (b: Uint8Array) => {
      if (calls++ === 0) throw new Error('engine error: out of memory');
      return idOf(b);
    };
    const run = setup({ store, shipped, load });
    await run.controller.start();
    expect(run.fetched).toEqual(['soma.bin']);
    expect(run.controller.phase).toBe('ready');
  });
});

describe('the download at start-up', () => {
  it('shows its progress a few times, not once for every chunk of the body', async () => {
    let updates = 0;
    const counting = { ...host, requestUpdate: () => void updates++ };
    const chunks = 200;
    const step = Math.ceil(good.length / chunks);
    const body = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let at = 0; at < good.length; at += step) c.enqueue(good.slice(at, at + step));
          c.close();
        },
      });
    const setup: WeightsSetup = {
      store: new WeightsStore(memoryKv()),
      url: 'soma.bin',
      shipped: await idOf(good),
      fromFile: false,
      load: idOf,
      fetch: (async () => new Response(body(), { headers: { 'content-length': String(good.length) } })) as typeof fetch,
    };
    const controller = new WeightsController(counting, setup);
    await controller.start();
    expect(controller.phase).toBe('ready');
    expect(controller.progress).toEqual({ loaded: good.length, total: good.length });
    // The phases say themselves (checking, downloading, verifying, loading, ready, stored) plus a
    // few progress updates; one update per chunk would be over 200.
    expect(updates).toBeLessThan(20);
  });
});
