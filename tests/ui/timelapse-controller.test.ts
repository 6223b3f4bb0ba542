// The time-lapse's controller over a real engine (LocalEngine in this thread, JS backend) and tiny frames.
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../src/engine/local-engine';
import type { SomaConfig } from '../../src/model/config';
import { readSoma } from '../../src/model/format';
import type { TimelapseIndex } from '../../src/model/timelapse';
import { DEFAULT_SETTINGS } from '../../src/ui/settings';
import { type SampleRequest, TimelapseController } from '../../src/ui/timelapse-controller';
import { somaBytes } from '../helpers';

const TINY: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
const host = { addController() {}, removeController() {}, requestUpdate() {}, updateComplete: Promise.resolve(true) };
const request: SampleRequest = { prompt: 'The ', seed: 1, settings: DEFAULT_SETTINGS };

let files: Map<string, Uint8Array>;
let index: TimelapseIndex;
beforeAll(async () => {
  files = new Map();
  index = { version: 1, run: 'test', valBytes: 1024, frames: [] };
  for (const [i, tokens] of [0, 1_000_000, 4_000_000].entries()) {
    const bytes = await somaBytes(TINY, i + 1);
    const file = `${String(tokens).padStart(12, '0')}.bin`;
    index.frames.push({ file, tokens, steps: tokens / 1000, fileBytes: bytes.length, sha256: (await readSoma(bytes)).sha256, valNatsPerChar: { sotu: 3 - i / 10 } });
    files.set(`timelapse/${file}?sha=${index.frames[i].sha256.slice(0, 16)}`, bytes);
  }
  files.set('timelapse/index.json', new TextEncoder().encode(JSON.stringify(index)));
});

function setup(serve = files) {
  const fetched: string[] = [];
  const engine = new LocalEngine({ kernels: () => Promise.reject(new Error('these tests run the JS backend')) });
  const t = new TimelapseController(host, () => ({
    engine,
    backend: 'js',
    fetchFile: async (path) => {
      fetched.push(path);
      const b = serve.get(path);
      if (!b) throw new Error(`the server answered 404 for ${path}`);
      return b.slice();
    },
  }));
  return { t, fetched };
}

describe('TimelapseController', () => {
  it('reads the index, writes a sample at each frame, keeps it, and the same frame and seed write the same text', async () => {
    const { t, fetched } = setup();
    await t.open();
    expect(t.index).toEqual(index);
    await t.select(0, request);
    const first = t.sample(0, request)!;
    expect(first.done && !first.error && first.text.length > 20).toBe(true);
    await t.select(1, request);
    expect(t.sample(1, request)!.text).not.toBe(first.text);
    const loads = fetched.length;
    await t.select(0, request); // kept: nothing fetched or generated again
    expect(fetched.length).toBe(loads);
    expect(t.selected).toBe(0);
    await t.select(0, { ...request, seed: 2 });
    expect(t.sample(0, { ...request, seed: 2 })!.text).not.toBe(first.text);

    const again = setup().t;
    await again.open();
    await again.select(0, request);
    expect(again.sample(0, request)!.text).toBe(first.text);
  });

  it('picking another frame mid-sample moves on to it; Play goes through every frame in order', async () => {
    const { t, fetched } = setup();
    await t.open();
    const a = t.select(0, request);
    const b = t.select(2, request);
    await Promise.all([a, b]);
    expect(t.selected).toBe(2);
    expect(t.sample(2, request)?.done).toBe(true);
    await t.play(() => request);
    expect(t.selected).toBe(2);
    for (let f = 0; f < 3; f++) expect(t.sample(f, request)?.done).toBe(true);
    expect(fetched.filter((p) => p.includes('.bin?')).length).toBeGreaterThanOrEqual(3);
  });

  it('says why when the index or a frame cannot be had, or a frame is not the one the index names', async () => {
    const none = setup(new Map());
    await none.t.open();
    expect(none.t.error).toMatch(/not available here: the server answered 404 for timelapse\/index.json/);

    const swapped = new Map(files);
    const [k0, k1] = [...files.keys()].filter((k) => k.includes('.bin'));
    swapped.set(k0, files.get(k1)!);
    swapped.delete(k1);
    const { t } = setup(swapped);
    await t.open();
    await t.select(0, request);
    expect(t.sample(0, request)?.error).toMatch(/SHA-256 differs/);
    await t.select(1, request);
    expect(t.sample(1, request)?.error).toMatch(/answered 404/);
    swapped.set(k1, files.get(k1)!); // back online: picking it again tries again
    await t.select(1, request);
    expect(t.sample(1, request)?.error).toBeUndefined();
    expect(t.sample(1, request)?.done).toBe(true);

    const served = new Map<string, Uint8Array>();
    const late = setup(served).t;
    await late.open();
    expect(late.error).toBeDefined();
    for (const [k, v] of files) served.set(k, v); // the index is there now: opening again reads it
    await late.open();
    expect([late.error, late.index]).toEqual([undefined, index]);
  });

  it('Play follows the request as it changes, and a second Play takes over from the first', async () => {
    const { t } = setup();
    await t.open();
    let current: SampleRequest = request;
    const playing = t.play(() => current);
    current = { ...request, seed: 9 }; // changed while the first frame is on its way
    await playing;
    expect(t.sample(2, { ...request, seed: 9 })?.done).toBe(true);
    expect(t.sample(2, request)).toBeUndefined();
    const first = t.play(() => request);
    t.stopPlaying();
    const second = t.play(() => request);
    await Promise.all([first, second]);
    expect(t.playing).toBe(false);
    for (let f = 0; f < 3; f++) expect(t.sample(f, request)?.done).toBe(true);
  });
});
