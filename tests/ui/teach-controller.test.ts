// TeachController over a scripted engine: its phases from start to pause, the save and the
// side-by-side sample after a pause, a hidden tab, reset, restore and import, and the engine's
// refusals at each step. The engine keeps the tuned copy (tests/engine/open-weights.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineState } from '../../src/ui/engine-state';
import { TeachController, samplePromptOf } from '../../src/ui/teach-controller';
import { FakeEngine, TUNED, fakeHost, progressAt, settle, stubPage } from './fake-engine';

let page: ReturnType<typeof stubPage>;
beforeEach(() => void (page = stubPage()));
afterEach(() => vi.unstubAllGlobals());

const TEXT = 'Call me Ishmael. Some years ago, never mind how long precisely, I went to sea.';

function setup() {
  const engine = new FakeEngine();
  const state = new EngineState(engine);
  const controller = new TeachController(fakeHost(), () => ({ state }));
  return { engine, state, controller };
}

/** Starts teaching and lets the first progress arrive: the run is under way. */
async function teaching(t: ReturnType<typeof setup>, name = 'moby.txt') {
  const run = t.controller.start(TEXT, name);
  await settle(); // a side-by-side sample in progress would hold it this long
  const { stream } = t.engine.teachings.at(-1)!;
  await stream.read();
  stream.push(progressAt(0));
  await settle();
  return { run, stream };
}

const paused = (step: number) => ({ progress: progressAt(step), weights: { active: 'original' as const, tuned: { ...TUNED, steps: step } } });

describe('TeachController', () => {
  it('starts, teaches, pauses into a tuned copy, saves it and writes a side-by-side sample', async () => {
    const t = setup();
    const run = t.controller.start(TEXT, 'moby.txt');
    await settle();
    expect([t.controller.phase, t.state.activity]).toEqual(['starting', 'teaching']);
    const { text, stream } = t.engine.teachings[0];
    expect(new TextDecoder().decode(text!)).toBe(TEXT);
    await stream.read();
    stream.push(progressAt(0));
    await settle();
    expect([t.controller.phase, t.controller.progress?.step]).toEqual(['teaching', 0]);
    t.controller.pause();
    expect([t.controller.phase, t.engine.calls.at(-1)]).toEqual(['pausing', 'abort']);
    stream.end(paused(12));
    await run;
    await settle(); // the sample after the pause
    expect([t.controller.phase, t.controller.progress?.step, t.state.weights.tuned?.steps, t.state.source]).toEqual(['paused', 12, 12, { name: 'moby.txt', bytes: TEXT.length }]);
    expect(t.controller.note).toBe('The tuned model is saved on this device, beside the original.');
    expect(t.engine.kept).toBe(true);
    expect(t.controller.samples).toEqual({ prompt: samplePromptOf(TEXT), original: 'from the original', tuned: 'from the tuned copy' });
    expect(t.engine.calls).toEqual(['teach', 'abort', 'keepTuned', 'compare']);
    expect(t.state.activity).toBe('idle');
  });

  it("shows the engine's refusal and is idle again, with nothing tuned", async () => {
    const t = setup();
    const run = t.controller.start('too short');
    await settle();
    await t.engine.teachings[0].stream.read();
    t.engine.teachings[0].stream.fail('the text is 9 bytes: fine-tuning needs at least 200');
    await run;
    expect([t.controller.phase, t.controller.error, t.state.activity]).toEqual(['idle', 'the text is 9 bytes: fine-tuning needs at least 200', 'idle']);
  });

  it('does not start while the engine does something else', async () => {
    const t = setup();
    t.state.claim('generating');
    await t.controller.start(TEXT);
    expect([t.engine.calls, t.controller.phase]).toEqual([[], 'idle']);
  });

  it('pauses when the tab is hidden and resumes when it shows again', async () => {
    const t = setup();
    t.controller.hostConnected();
    const { run, stream } = await teaching(t);
    page.show('hidden');
    expect([t.controller.phase, t.engine.calls.at(-1)]).toEqual(['pausing', 'abort']);
    stream.end(paused(3));
    await run;
    await settle();
    expect(t.controller.phase).toBe('paused');
    page.show('visible');
    await settle();
    expect([t.engine.calls.at(-1), t.engine.teachings.at(-1)!.text, t.controller.phase, t.state.activity]).toEqual(['resume', null, 'teaching', 'teaching']);
    t.controller.hostDisconnected();
    expect(t.engine.calls.at(-1)).toBe('abort');
  });

  it('a run resumed while the paused one still saves is the one Pause pauses', async () => {
    const t = setup();
    t.controller.hostConnected();
    let saved = (): void => {};
    t.engine.exportHeld = new Promise((resolve) => (saved = resolve));
    const { run, stream } = await teaching(t);
    page.show('hidden');
    stream.end(paused(3));
    await settle();
    expect(t.controller.phase).toBe('paused'); // and saving
    page.show('visible');
    await settle();
    expect([t.engine.calls.at(-1), t.controller.phase]).toEqual(['resume', 'teaching']);
    saved();
    await run; // the first run ends after the second began
    t.controller.pause();
    expect([t.controller.phase, t.engine.calls.at(-1)]).toEqual(['pausing', 'abort']);
  });

  it("says why there is no side-by-side sample when the engine refuses one", async () => {
    const t = setup();
    t.engine.refuse.compare = 'engine error: busy: stop or pause first';
    const { run, stream } = await teaching(t);
    t.controller.pause();
    stream.end(paused(4));
    await run;
    await settle();
    expect([t.controller.samples, t.controller.note]).toEqual([undefined, 'No side-by-side sample: engine error: busy: stop or pause first']);
  });

  it('says when the tuned copy is kept for this visit only', async () => {
    const t = setup();
    t.engine.canKeep = false;
    const { run, stream } = await teaching(t);
    t.controller.pause();
    stream.end(paused(4));
    await run;
    expect(t.controller.note).toBe('The tuned model is kept for this visit only (no storage here).');
  });

  it('discards the tuned copy, in the engine and what it kept; a refusal is shown', async () => {
    const t = setup();
    const { run, stream } = await teaching(t);
    t.controller.pause();
    stream.end(paused(4));
    await run;
    await settle();
    t.engine.refuse.useWeights = 'engine error: busy: stop or pause first';
    await t.controller.reset();
    expect(t.controller.error).toBe('engine error: busy: stop or pause first');
    expect(t.engine.kept).toBe(true);
    await t.controller.reset();
    expect([t.controller.phase, t.controller.progress, t.state.weights, t.state.source]).toEqual(['idle', undefined, { active: 'original', tuned: null }, null]);
    expect(t.controller.note).toBe('The tuned model is discarded; the original is in use.');
    expect(t.engine.kept).toBe(false);
  });

  it('restores a kept tuned copy with the model chosen last; with none kept, changes nothing', async () => {
    const t = setup();
    t.engine.kept = true;
    page.storage.set('soma.model.v1', JSON.stringify('tuned')); // the user chose the tuned copy last time
    await t.controller.restore();
    expect(t.engine.calls).toEqual(['restoreTuned']);
    expect(t.state.weights).toEqual({ active: 'tuned', tuned: TUNED });

    const none = setup();
    await none.controller.restore();
    expect(none.state.weights.tuned).toBeNull();
  });

  it('imports a tuned soma.bin and keeps it; a refused one is named in the error', async () => {
    const t = setup();
    t.engine.refuse.loadTuned = 'soma.bin: bad magic';
    await t.controller.importFile(new File([new Uint8Array([1])], 'notes.bin'));
    expect(t.controller.error).toBe('notes.bin: soma.bin: bad magic');
    await t.controller.importFile(new File([new Uint8Array([7, 7])], 'tuned.bin'));
    expect([t.controller.error, t.controller.note, t.state.weights.active, t.state.source]).toEqual([undefined, 'Using tuned.bin as the tuned model.', 'tuned', { name: 'tuned.bin', bytes: 3000 }]);
    expect([t.engine.calls.at(-1), t.engine.kept]).toEqual(['keepTuned', true]);
  });
});
