import { describe, expect, it } from 'vitest';
import { type KeyValue, WeightsStore, weightsKey } from '../../src/engine/weights-store';

function memoryKv(fail?: (op: string) => Error | null): KeyValue & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  const check = (op: string) => {
    const e = fail?.(op);
    if (e) throw e;
  };
  return {
    map,
    get: async (k) => (check('get'), map.get(k)),
    set: async (k, v) => void (check('set'), map.set(k, v)),
    del: async (k) => void (check('del'), map.delete(k)),
    keys: async () => (check('keys'), [...map.keys()]),
  };
}

const id = (sha: string) => ({ version: 1, sha256: sha.repeat(64), fileBytes: 3 });
const bytes = () => new Uint8Array([1, 2, 3]).buffer;
const domError = (name: string) => Object.assign(new Error(name), { name });

describe('the weights store', () => {
  it('keys a file by format version and SHA-256, and finds it again', async () => {
    const kv = memoryKv();
    const store = new WeightsStore(kv);
    expect(await store.save(id('a'), bytes(), 'network')).toBe(true);
    expect([...kv.map.keys()]).toEqual([`soma.bin v1 ${'a'.repeat(64)}`]);
    expect(weightsKey(id('a'))).toBe(`soma.bin v1 ${'a'.repeat(64)}`);
    const found = await store.find(id('a'));
    expect(found?.origin).toBe('network');
    expect(new Uint8Array(found!.bytes)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await store.find(id('b'))).toBeUndefined();
  });

  it('reads ahead the file it will be asked for: one read serves the find for that id, and only the first', async () => {
    const kv = memoryKv();
    await new WeightsStore(kv).save(id('a'), bytes(), 'network');
    const gets: string[] = [];
    const counted: KeyValue = { ...kv, get: (k) => (gets.push(k), kv.get(k)) };
    const store = new WeightsStore(counted);
    store.readAhead(id('a'));
    expect(gets).toEqual([weightsKey(id('a'))]); // started at once, before any find
    expect((await store.find(id('a')))?.origin).toBe('network');
    expect(gets).toHaveLength(1);
    expect((await store.find(id('a')))?.origin).toBe('network');
    expect(gets).toHaveLength(2); // a later find reads again
    store.readAhead(id('a'));
    expect(await store.find(id('b'))).toBeUndefined(); // another id is read for itself
    expect(gets.at(-1)).toBe(weightsKey(id('b')));
    store.readAhead(id('a'));
    await store.remove(id('a')); // what was read ahead is stale once the store changes
    expect(await store.find(id('a'))).toBeUndefined();
  });

  it('replaces the old version when a new one is saved, and finds the newest without an id', async () => {
    const kv = memoryKv();
    kv.map.set('unrelated', 1);
    const store = new WeightsStore(kv);
    await store.save(id('a'), bytes(), 'network');
    await store.save(id('b'), bytes(), 'picked.bin');
    expect([...kv.map.keys()].sort()).toEqual([weightsKey(id('b')), 'unrelated']);
    expect((await store.find(null))?.sha256).toBe('b'.repeat(64));
  });

  it('over quota, drops the old version and tries once more', async () => {
    let sets = 0;
    const kv = memoryKv((op) => (op === 'set' && sets++ === 1 ? domError('QuotaExceededError') : null));
    const store = new WeightsStore(kv);
    await store.save(id('a'), bytes(), 'network');
    expect(await store.save(id('b'), bytes(), 'network')).toBe(true);
    expect([...kv.map.keys()]).toEqual([weightsKey(id('b'))]);
    expect(store.mode.kind).toBe('indexeddb');
  });

  it('falls back to memory, saying why, when IndexedDB is missing or fails', async () => {
    expect(new WeightsStore(null).mode).toEqual({ kind: 'memory', reason: 'this browser has no IndexedDB' });
    const full = new WeightsStore(memoryKv((op) => (op === 'set' ? domError('QuotaExceededError') : null)));
    expect(await full.save(id('a'), bytes(), 'network')).toBe(false);
    expect(full.mode).toEqual({ kind: 'memory', reason: "the browser's storage quota is full" });
    const blocked = new WeightsStore(memoryKv(() => domError('InvalidStateError')));
    expect(await blocked.find(id('a'))).toBeUndefined();
    expect(blocked.mode.kind).toBe('memory');
    expect(await blocked.save(id('a'), bytes(), 'network')).toBe(false);
  });
});
