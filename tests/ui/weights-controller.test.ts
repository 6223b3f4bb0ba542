// WeightsController: the page's side of opening the weights. The engine does the work (see
// tests/engine/open-weights.test.ts); the page shows the progress it hears, the outcome, and hands
// on a picked file without reading it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WeightsOutcome, WeightsProgress, WeightsSource } from '../../src/engine/protocol';
import { type WeightsSetup, WeightsController } from '../../src/ui/weights-controller';
import { INFO, fakeHost, stubPage } from './fake-engine';

beforeEach(() => void stubPage());
afterEach(() => vi.unstubAllGlobals());

const READY: WeightsOutcome = { ready: true, loaded: { info: INFO, memoryBytes: 1 }, origin: 'network', stored: true, storage: { kind: 'indexeddb', persisted: null } };

/** A controller over a scripted engine: it tells `progress`, then answers each open with the next outcome. */
function setup(outcomes: (WeightsOutcome | Error)[], progress: WeightsProgress[] = []) {
  const host = fakeHost();
  const sources: WeightsSource[] = [];
  const phases: string[] = [];
  const s: WeightsSetup = {
    url: 'soma.bin',
    shipped: null,
    fromFile: false,
    open: async (source, onProgress) => {
      sources.push(source);
      for (const p of progress) {
        onProgress(p);
        phases.push(controller.phase);
      }
      const next = outcomes.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
    persist: async () => true,
  };
  const controller = new WeightsController(host, s);
  return { controller, host, sources, phases };
}

describe('WeightsController', () => {
  it('shows the progress it hears, then the loaded weights, and asks the browser to keep them', async () => {
    const progress: WeightsProgress[] = [
      { phase: 'checking', loaded: 0, total: null },
      { phase: 'downloading', loaded: 10, total: 100 },
      { phase: 'downloading', loaded: 100, total: 100 },
      { phase: 'verifying', loaded: 100, total: 100 },
    ];
    const t = setup([READY], progress);
    await t.controller.start();
    expect(t.sources).toEqual([{ kind: 'shipped', url: 'soma.bin', base: 'https://soma.test/', shipped: null, fromFile: false }]);
    expect(t.phases).toEqual(['checking', 'downloading', 'downloading', 'verifying']);
    expect([t.controller.phase, t.controller.origin, t.controller.stored, t.controller.progress]).toEqual(['ready', 'network', true, { loaded: 100, total: 100 }]);
    expect(t.controller.storage).toEqual({ kind: 'indexeddb', persisted: true });
  });

  it('asks for a file with the reason, passes a picked file on unread, and says the engine failed', async () => {
    const refused: WeightsOutcome = { ready: false, problem: 'soma.bin could not be downloaded: offline', storage: { kind: 'memory', reason: 'this browser has no IndexedDB' } };
    const t = setup([refused, { ...READY, origin: 'file', stored: false, storage: refused.storage, note: 'Using mine.bin, not the soma.bin this page ships.' }, new Error("the engine's worker failed: could not start")]);
    await t.controller.start();
    expect([t.controller.phase, t.controller.problem, t.controller.storage]).toEqual(['need-file', refused.problem, refused.storage]);
    const file = new File([new Uint8Array([1, 2])], 'mine.bin');
    await t.controller.useFile(file);
    expect(t.sources[1]).toEqual({ kind: 'file', file, name: 'mine.bin', shipped: null });
    expect([t.controller.phase, t.controller.origin, t.controller.stored, t.controller.note]).toEqual(['ready', 'file', false, 'Using mine.bin, not the soma.bin this page ships.']);
    await t.controller.useFile(file);
    expect([t.controller.phase, t.controller.problem]).toEqual(['need-file', "the engine's worker failed: could not start"]);
  });
});
