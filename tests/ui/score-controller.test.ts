// ScoreController over a scripted engine: the view as chunks arrive, the totals at the end, Stop,
// an empty text, the engine's failures, and the page's engine state around it all.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScoreChunk, ScoreDone } from '../../src/engine/protocol';
import { EngineState } from '../../src/ui/engine-state';
import { ScoreController, VIEW_EVERY_MS, locate } from '../../src/ui/score-controller';
import { FakeEngine, fakeHost, stubPage } from './fake-engine';

beforeEach(() => void stubPage());
afterEach(() => vi.unstubAllGlobals());

function setup() {
  const engine = new FakeEngine();
  const state = new EngineState(engine);
  return { engine, state, controller: new ScoreController(fakeHost(), () => state) };
}

const chunkAt = (start: number, n: number): ScoreChunk => ({ start, bytes: new Uint8Array(n).fill(97), bits: new Float32Array(n).fill(2), experts: new Uint8Array(n), topBytes: new Uint8Array(n * 10), topProbs: new Float32Array(n * 10), router: new Float32Array(n * 4) });
const doneOf = (bytes: number, reason: 'length' | 'stopped' = 'length'): ScoreDone => ({ reason, bytes, chars: bytes, nats: bytes * 2 * Math.LN2, natsPerChar: 2 * Math.LN2, ms: 5, experts: { bytes, experts: [] } });

describe('ScoreController', () => {
  it("claims 'scoring', keeps each chunk as it comes, and ends with the totals", async () => {
    const { engine, state, controller } = setup();
    const scoring = controller.score('aaaaaa');
    expect([controller.running, state.activity, controller.view?.total, controller.view?.chunks]).toEqual([true, 'scoring', 6, []]);
    const s = engine.scorings[0];
    await s.read();
    s.push(chunkAt(0, 4));
    s.push(chunkAt(4, 2));
    s.end(doneOf(6));
    await scoring;
    expect(controller.view?.chunks.map((c) => c.start)).toEqual([0, 4]);
    expect(controller.view?.done).toMatchObject({ reason: 'length', bytes: 6 });
    expect(locate(controller.view!, 5)).toMatchObject({ at: 1, chunk: { start: 4 } });
    expect(locate(controller.view!, 6)).toBeNull();
    expect([controller.running, state.activity, controller.error]).toEqual([false, 'idle', undefined]);
  });

  it(`shows what has arrived at most every ${VIEW_EVERY_MS} ms while it scores, and everything at the end`, async () => {
    const { engine, controller } = setup();
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const scoring = controller.score('a'.repeat(12));
    const s = engine.scorings[0];
    await s.read();
    const shown = async (chunk: ScoreChunk) => {
      s.push(chunk);
      await new Promise((r) => setTimeout(r, 0)); // the controller takes it
      return controller.view!.chunks.length;
    };
    expect(await shown(chunkAt(0, 4))).toBe(1); // the first at once
    now += VIEW_EVERY_MS / 2;
    expect(await shown(chunkAt(4, 4))).toBe(1); // too soon: kept, not shown
    now += VIEW_EVERY_MS / 2;
    expect(await shown(chunkAt(8, 2))).toBe(3);
    expect(await shown(chunkAt(10, 2))).toBe(3);
    s.end(doneOf(12));
    await scoring;
    expect(controller.view!.chunks.map((c) => c.start)).toEqual([0, 4, 8, 10]);
    vi.restoreAllMocks();
  });

  it('says an empty text has nothing to score, without asking the engine or claiming it', async () => {
    const { engine, state, controller } = setup();
    await controller.score('');
    expect(controller.error).toMatch(/^Nothing to score: the text is empty/);
    expect([engine.calls, state.activity, controller.view]).toEqual([[], 'idle', undefined]);
  });

  it("stops by aborting its scoring's signal, and only while it scores", async () => {
    const { engine, controller } = setup();
    controller.stop();
    expect(engine.calls).toEqual([]);
    const scoring = controller.score('abc');
    await engine.scorings[0].read();
    controller.stop();
    expect(engine.calls).toEqual(['score', 'abort']);
    engine.scorings[0].end(doneOf(1, 'stopped'));
    await scoring;
    expect(controller.view?.done?.reason).toBe('stopped');
  });

  it("shows the engine's refusal and gives the engine back", async () => {
    const { engine, state, controller } = setup();
    const scoring = controller.score('abc');
    await engine.scorings[0].read();
    engine.scorings[0].fail('the text is 5000000 bytes: scoring takes at most 4194304');
    await scoring;
    expect([controller.error, controller.running, state.activity]).toEqual(['the text is 5000000 bytes: scoring takes at most 4194304', false, 'idle']);
  });

  it('waits while the engine does something else, and does nothing without an engine', async () => {
    const { engine, state, controller } = setup();
    state.claim('generating');
    await controller.score('abc');
    expect([engine.calls, controller.running, controller.view]).toEqual([[], false, undefined]);
    const none = new ScoreController(fakeHost(), () => undefined);
    await none.score('abc');
    expect([none.running, none.view, none.error]).toEqual([false, undefined, undefined]);
  });
});
