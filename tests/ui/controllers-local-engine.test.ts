// The Write, Score and Teach controllers over a real engine in the page (LocalEngine, JS backend,
// a small model): what their scripted-engine tests assume of an engine holds of the real one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { LocalEngine } from '../../src/engine/local-engine';
import { type KeyValue, WeightsStore } from '../../src/engine/weights-store';
import { EngineController } from '../../src/ui/engine-controller';
import { EngineState } from '../../src/ui/engine-state';
import { ScoreController } from '../../src/ui/score-controller';
import { DEFAULT_SETTINGS } from '../../src/ui/settings';
import { TeachController } from '../../src/ui/teach-controller';
import { ENGLISH, somaBytes } from '../helpers';
import { fakeHost, settle, stubPage } from './fake-engine';

beforeEach(() => void stubPage());
afterEach(() => vi.unstubAllGlobals());

const SMALL: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2+h1+x', bos: 10, layer2Recurrence: 'full' };
const TEXT = new TextDecoder().decode(ENGLISH.subarray(0, 4000));

function memoryKv(): KeyValue {
  const map = new Map<string, unknown>();
  return { get: async (k) => map.get(k), set: async (k, v) => void map.set(k, v), del: async (k) => void map.delete(k), keys: async () => [...map.keys()] };
}

async function page() {
  const store = new WeightsStore(memoryKv());
  const engine = new LocalEngine({ kernels: () => Promise.reject(new Error('the JS backend needs no kernels')), store });
  const state = new EngineState(engine);
  const write = new EngineController(fakeHost(), state);
  const outcome = await write.open({ kind: 'file', file: new Blob([(await somaBytes(SMALL)).slice()]), name: 'soma.bin', shipped: null }, 'js', () => {});
  if (!outcome.ready) throw new Error(outcome.problem);
  return { engine, state, write, store, original: outcome.loaded.info.sha256 };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await settle()) if (Date.now() - t0 > ms) throw new Error('timed out');
}

describe('the controllers over a real in-page engine', () => {
  it('Write streams every byte asked for, then gives the engine back', async () => {
    const { state, write } = await page();
    await write.generate('The ', { ...DEFAULT_SETTINGS, length: 700 });
    await until(() => write.run?.done !== undefined && write.run.bytes === 700);
    expect(write.run!.done!.reason).toBe('length');
    expect(write.run!.chunks.reduce((n, c) => n + c.bytes.length, 0)).toBe(700);
    expect([write.running, state.activity]).toEqual([false, 'idle']);
  });

  it('Score covers every byte of the text in order and ends with its totals', async () => {
    const { state } = await page();
    const score = new ScoreController(fakeHost(), () => state);
    await score.score(TEXT);
    const view = score.view!;
    expect(view.done).toMatchObject({ reason: 'length', bytes: ENGLISH.subarray(0, 4000).length });
    let next = 0;
    for (const c of view.chunks) {
      expect(c.start).toBe(next);
      next += c.bytes.length;
    }
    expect(next).toBe(view.done!.bytes);
    expect(view.done!.natsPerChar).toBeGreaterThan(0);
    expect(state.activity).toBe('idle');
  });

  it('Teach makes a tuned copy on pause, the engine keeps it in its store, and writes the side-by-side sample', async () => {
    const { state, store, original } = await page();
    const teach = new TeachController(fakeHost(), () => ({ state }));
    const run = teach.start(TEXT, 'sotu.txt');
    await until(() => teach.phase === 'teaching' && (teach.progress?.step ?? 0) >= 2);
    expect(state.activity).toBe('teaching');
    teach.pause();
    await run;
    await until(() => teach.samples !== undefined);
    expect(teach.phase).toBe('paused');
    expect(teach.error).toBeUndefined();
    expect(await store.findTuned(original)).toBeDefined();
    expect(teach.samples!.original.length).toBeGreaterThan(0);
    expect(state.activity).toBe('idle');
  });
});
