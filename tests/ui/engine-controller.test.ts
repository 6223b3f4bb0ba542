// EngineController (Write) over a scripted engine: the page's engine state while it loads and
// writes, chunks shown a frame at a time, Stop, and the engine's refusals and failures.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineController, FIGURES_EVERY_MS, FRAME_BYTES } from '../../src/ui/engine-controller';
import { EngineState } from '../../src/ui/engine-state';
import { DEFAULT_SETTINGS } from '../../src/ui/settings';
import { FakeEngine, chunkOf, fakeHost, settle, stubPage } from './fake-engine';

beforeEach(() => void stubPage());
afterEach(() => vi.unstubAllGlobals());

function setup() {
  const engine = new FakeEngine();
  const state = new EngineState(engine);
  const host = fakeHost();
  return { engine, state, host, controller: new EngineController(host, state) };
}

const SOURCE = { kind: 'shipped', url: 'soma.bin', base: 'https://soma.test/', shipped: null, fromFile: false } as const;

async function loaded() {
  const t = setup();
  await t.controller.open(SOURCE, 'js', () => {});
  return t;
}

const done = (generated: number, reason: 'length' | 'stopped' = 'length') => ({ ...chunkOf('', generated).stats, reason });

describe('EngineController', () => {
  it('holds the engine while it opens the weights, and gives it back', async () => {
    const { controller, state, engine } = setup();
    const opening = controller.open(SOURCE, 'js', () => {});
    expect(state.activity).toBe('loading');
    const outcome = await opening;
    expect(outcome.ready && outcome.loaded.info.config.experts).toBe(4);
    expect([state.activity, controller.loaded?.memoryBytes, engine.calls]).toEqual(['idle', 1, ['openWeights']]);
  });

  it('loads nothing when the engine opened no weights, or failed, and gives the engine back', async () => {
    const { controller, state, engine } = setup();
    engine.opening.outcome = { ready: false, problem: 'soma.bin could not be downloaded', storage: { kind: 'memory', reason: 'no IndexedDB' } };
    expect(await controller.open(SOURCE, 'js', () => {})).toMatchObject({ ready: false, problem: 'soma.bin could not be downloaded' });
    expect([state.activity, controller.loaded]).toEqual(['idle', undefined]);
    engine.refuse.openWeights = "the engine's worker failed: could not start";
    await expect(controller.open(SOURCE, 'js', () => {})).rejects.toThrow('could not start');
    expect([state.activity, controller.loaded]).toEqual(['idle', undefined]);
  });

  it('writes nothing before a model is loaded', async () => {
    const { controller, engine } = setup();
    await controller.generate('The ', DEFAULT_SETTINGS);
    expect(engine.calls).toEqual([]);
  });

  it("claims 'generating', shows the chunks, and ends with the engine's stats", async () => {
    const { controller, state, engine } = await loaded();
    const writing = controller.generate('The ', DEFAULT_SETTINGS);
    expect([controller.running, state.activity, controller.run?.bytes]).toEqual([true, 'generating', 0]);
    const g = engine.generations[0];
    expect(new TextDecoder().decode(g.prompt)).toBe('The ');
    expect(g.options).toMatchObject({ continue: false, length: DEFAULT_SETTINGS.length, temperature: DEFAULT_SETTINGS.temperature });
    await g.stream.read();
    g.onReading!(512, 1000);
    expect(controller.run?.reading).toEqual({ read: 512, total: 1000 });
    g.stream.push(chunkOf('cat ', 4));
    g.stream.push(chunkOf('sat', 7));
    await settle(); // a frame
    expect([controller.run?.bytes, controller.run?.chunks.length, controller.run?.reading]).toEqual([7, 2, undefined]);
    // The figures come in a frame of their own, two timers on: on a loaded machine both may come due
    // after the next settle(), so wait for them rather than count timers.
    await vi.waitFor(() => expect([controller.stats?.generated, controller.insight?.bytes]).toEqual([7, 7]));
    g.stream.end(done(7));
    await writing;
    expect(controller.run?.done).toMatchObject({ reason: 'length', stats: { generated: 7 } });
    expect([controller.running, state.activity, controller.error]).toEqual([false, 'idle', undefined]);
  });

  it('refreshes the figures at most every FIGURES_EVERY_MS, each time in a frame that shows no new text, and ends with the final ones', async () => {
    const { controller, host, engine } = await loaded();
    const seen: { at: number; bytes: number; figures: unknown }[] = [];
    const update = host.requestUpdate.bind(host);
    host.requestUpdate = () => {
      update();
      seen.push({ at: performance.now(), bytes: controller.run?.bytes ?? 0, figures: controller.insight });
    };
    const writing = controller.generate('', DEFAULT_SETTINGS);
    const g = engine.generations[0];
    await g.stream.read();
    let generated = 0;
    for (let i = 0; i < 30; i++) {
      g.stream.push(chunkOf('x'.repeat(FRAME_BYTES), (generated += FRAME_BYTES)));
      await new Promise((r) => setTimeout(r, 20)); // the engine writes for longer than one refresh period
    }
    g.stream.end(done(generated));
    await writing;
    const changes = seen.filter((s, i) => i > 0 && s.figures !== seen[i - 1].figures);
    const textFrames = seen.filter((s, i) => i > 0 && s.bytes !== seen[i - 1].bytes);
    expect(textFrames.length).toBeGreaterThanOrEqual(30);
    expect(changes.length).toBeGreaterThan(1);
    // No frame showed new text and new figures together.
    expect(seen.filter((s, i) => i > 0 && s.bytes !== seen[i - 1].bytes && s.figures !== seen[i - 1].figures)).toEqual([]);
    // Between two refreshes while it streamed, at least the period (the run's final figures aside).
    const gaps = changes.slice(0, -1).map((c, i) => (i === 0 ? Infinity : c.at - changes[i - 1].at));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(FIGURES_EVERY_MS - 5);
    expect([controller.stats?.generated, controller.insight?.bytes]).toEqual([generated, generated]);
  });

  it("aborts its run's signal once on Stop, and ends the run as stopped", async () => {
    const { controller, state, engine } = await loaded();
    const writing = controller.generate('The ', DEFAULT_SETTINGS);
    await engine.generations[0].stream.read();
    controller.stop();
    controller.stop();
    expect([controller.stopping, engine.calls.filter((c) => c === 'abort').length]).toEqual([true, 1]);
    engine.generations[0].stream.end(done(0, 'stopped'));
    await writing;
    expect([controller.run?.done?.reason, controller.stopping, state.activity]).toEqual(['stopped', false, 'idle']);
  });

  it("shows the engine's failure, keeps what was written, and gives the engine back", async () => {
    const { controller, state, engine } = await loaded();
    const writing = controller.generate('The ', DEFAULT_SETTINGS);
    const g = engine.generations[0].stream;
    await g.read();
    g.push(chunkOf('abc', 3));
    await settle();
    g.fail('engine error: out of memory');
    await writing;
    expect([controller.error, controller.run?.done?.reason, controller.run?.bytes, controller.running, state.activity]).toEqual(['engine error: out of memory', 'failed', 3, false, 'idle']);
  });

  it('waits while the engine does something else: no second run, no engine call', async () => {
    const { controller, state, engine } = await loaded();
    state.claim('teaching');
    await controller.generate('The ', DEFAULT_SETTINGS);
    expect([engine.calls, controller.running, controller.run]).toEqual([['openWeights'], false, undefined]);
  });

  it('stops its run when the page lets it go', async () => {
    const { controller, engine } = await loaded();
    const writing = controller.generate('The ', DEFAULT_SETTINGS);
    await engine.generations[0].stream.read();
    controller.hostDisconnected();
    expect(engine.calls.at(-1)).toBe('abort');
    engine.generations[0].stream.end(done(0, 'stopped'));
    await writing;
  });
});
