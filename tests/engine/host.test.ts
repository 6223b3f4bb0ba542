// The engine's side of the protocol, driven directly in Node: a fake `post` records every
// response, as the worker would post them to the main thread.
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, pickBackend } from '../../src/engine/host';
import type { GenerateOptions, Request, Response } from '../../src/engine/protocol';
import { kernelsWasm, openSession } from '../../src/cli/node-engine';
import { readSoma } from '../../src/model/format';
import { encodeUtf8 } from '../../src/model/utf8';
import { somaBytes } from '../helpers';

let weights: Uint8Array;
beforeAll(async () => {
  weights = await somaBytes();
});

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

const options = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({
  length: 600,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  repeatPenalty: 1.05,
  repeatWindow: 64,
  seed: 3,
  continue: false,
  ...o,
});

function host() {
  const responses: Response[] = [];
  let kernelLoads = 0;
  const h = new EngineHost(
    (r) => responses.push(r),
    () => (kernelLoads++, kernelsWasm()),
  );
  return { h, responses, kernelLoads: () => kernelLoads };
}

async function loaded(backend: 'auto' | 'js' | 'wasm-simd' = 'auto') {
  const t = host();
  await t.h.handle({ id: 1, type: 'load', weights: toArrayBuffer(weights), backend });
  expect(t.responses.map((r) => r.type)).toEqual(['loaded']);
  t.responses.length = 0;
  return t;
}

const chunks = (rs: Response[]) => rs.flatMap((r) => (r.type === 'chunk' ? [r.chunk] : []));
const only = <T extends Response['type']>(rs: Response[], type: T) => rs.filter((r): r is Extract<Response, { type: T }> => r.type === type);

const LONG = 200_000; // ten seconds of work or more: a stop that is ignored fails the test, not its timeout

/** Starts a long generation without awaiting it; resolves (with its promise, boxed) once its first chunk is out. */
async function startLong(t: ReturnType<typeof host>, id: number): Promise<{ running: Promise<void> }> {
  const running = t.h.handle({ id, type: 'generate', prompt: encodeUtf8('The '), options: options({ length: LONG }) });
  while (chunks(t.responses).length === 0) await new Promise((r) => setTimeout(r, 1));
  return { running };
}

describe('EngineHost', () => {
  it("answers a valid load with 'loaded' and the model's info", async () => {
    const t = host();
    await t.h.handle({ id: 7, type: 'load', weights: toArrayBuffer(weights), backend: 'auto' });
    expect(t.responses).toHaveLength(1);
    const r = t.responses[0];
    if (r.type !== 'loaded') throw new Error(`expected loaded, got ${JSON.stringify(r)}`);
    expect(r.id).toBe(7);
    expect(r.loaded.info.params).toBe(667_920);
    expect(r.loaded.info.backend).toBe('wasm-simd'); // Node has WebAssembly SIMD
    expect(r.loaded.info.fileBytes).toBe(weights.length);
    expect(r.loaded.memoryBytes).toBeGreaterThan(602_384 * 4);
    expect(t.kernelLoads()).toBe(1);
  });

  it("honours backend 'js', without loading the WASM kernels", async () => {
    const t = host();
    await t.h.handle({ id: 1, type: 'load', weights: toArrayBuffer(weights), backend: 'js' });
    expect(t.responses[0].type === 'loaded' && t.responses[0].loaded.info.backend).toBe('js');
    expect(t.kernelLoads()).toBe(0);
  });

  it("answers corrupt weights with one error starting 'soma.bin:'", async () => {
    const t = host();
    const corrupt = weights.slice();
    corrupt[corrupt.length - 1] ^= 0xff; // one payload byte: the checksum no longer matches
    await t.h.handle({ id: 2, type: 'load', weights: toArrayBuffer(corrupt), backend: 'auto' });
    await t.h.handle({ id: 3, type: 'load', weights: toArrayBuffer(encodeUtf8('not a model at all')), backend: 'auto' });
    expect(t.responses.map((r) => [r.id, r.type])).toEqual([[2, 'error'], [3, 'error']]);
    for (const r of only(t.responses, 'error')) expect(r.message).toMatch(/^soma\.bin: /);
  });

  it('answers generate before load with an error', async () => {
    const t = host();
    await t.h.handle({ id: 4, type: 'generate', prompt: new Uint8Array(0), options: options() });
    expect(t.responses).toHaveLength(1);
    expect(t.responses[0]).toMatchObject({ id: 4, type: 'error', message: expect.stringMatching(/no model loaded/) });
  });

  it("answers bad options with a RangeError's message and no chunks", async () => {
    const t = await loaded();
    await t.h.handle({ id: 5, type: 'generate', prompt: new Uint8Array(0), options: options({ topP: 0 }) });
    expect(t.responses).toEqual([{ id: 5, type: 'error', message: expect.stringMatching(/^topP must be/) }]);
  });

  it.each([0, -3, NaN])('answers length %s with an error, not an empty done', async (length) => {
    const t = await loaded();
    await t.h.handle({ id: 6, type: 'generate', prompt: new Uint8Array(0), options: options({ length }) });
    expect(t.responses).toEqual([{ id: 6, type: 'error', message: expect.stringMatching(/^length must be/) }]);
  });

  it("streams chunks that sum to length, the same bytes as a Session, then one 'done'", async () => {
    const t = await loaded();
    const opts = options({ length: 600 });
    await t.h.handle({ id: 9, type: 'generate', prompt: encodeUtf8('The '), options: opts });
    const types = t.responses.map((r) => r.type);
    expect(types.at(-1)).toBe('done');
    expect(types.slice(0, -1).every((x) => x === 'chunk')).toBe(true);
    expect(t.responses.every((r) => r.id === 9)).toBe(true);
    const cs = chunks(t.responses);
    const bytes = Uint8Array.from(cs.flatMap((c) => [...c.bytes]));
    expect(bytes.length).toBe(600);
    for (const c of cs) expect([c.experts.length, c.probs.length, c.entropyBits.length]).toEqual([c.bytes.length, c.bytes.length, c.bytes.length]);
    const done = only(t.responses, 'done')[0];
    expect(done.reason).toBe('length');
    expect(done.stats.generated).toBe(600);
    expect(done.stats.contextBytes).toBe(4 + 600);
    // The host adds nothing of its own to the stream: a Session with the same seed agrees.
    const session = await openSession(await readSoma(weights), 'wasm-simd');
    const direct = Uint8Array.from(session.generate(encodeUtf8('The '), opts), (ev) => ev.byte);
    expect(bytes).toEqual(direct);
  });

  it("stops a long generation on 'stop', with reason 'stopped' and fewer bytes", async () => {
    const t = await loaded();
    const { running } = await startLong(t, 11);
    await t.h.handle({ id: 12, type: 'stop' });
    await running;
    expect(only(t.responses, 'ok').map((r) => r.id)).toEqual([12]);
    const done = only(t.responses, 'done');
    expect(done).toHaveLength(1);
    expect(done[0].reason).toBe('stopped');
    const sent = chunks(t.responses).reduce((n, c) => n + c.bytes.length, 0);
    expect(done[0].stats.generated).toBe(sent);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(LONG);
  });

  it("refuses 'reset' during a generation, and accepts it after", async () => {
    const t = await loaded();
    const { running } = await startLong(t, 21);
    await t.h.handle({ id: 22, type: 'reset' });
    await t.h.handle({ id: 23, type: 'stop' });
    await running;
    expect(only(t.responses, 'error')).toEqual([{ id: 22, type: 'error', message: expect.stringMatching(/cannot reset while generating/) }]);
    expect(only(t.responses, 'done')[0].reason).toBe('stopped');
    t.responses.length = 0;
    await t.h.handle({ id: 24, type: 'reset' });
    expect(t.responses).toEqual([{ id: 24, type: 'ok' }]);
  });

  it('a stop with nothing running does not cancel the next generation', async () => {
    const t = await loaded();
    await t.h.handle({ id: 31, type: 'stop' });
    await t.h.handle({ id: 32, type: 'generate', prompt: new Uint8Array(0), options: options({ length: 300 }) });
    const done = only(t.responses, 'done');
    expect(done.map((d) => [d.reason, d.stats.generated])).toEqual([['length', 300]]);
  });

  it('answers an unknown request type with an error', async () => {
    const t = host();
    await t.h.handle({ id: 41, type: 'dance' } as unknown as Request);
    expect(t.responses).toEqual([{ id: 41, type: 'error', message: expect.stringMatching(/unknown request "dance"/) }]);
  });
});

describe('pickBackend', () => {
  it('picks the JS backend without SIMD and WASM SIMD with it', () => {
    expect(pickBackend('auto', false)).toBe('js');
    expect(pickBackend('js', true)).toBe('js');
    expect(pickBackend('auto', true)).toBe('wasm-simd');
    expect(pickBackend('wasm-simd', true)).toBe('wasm-simd');
    expect(() => pickBackend('wasm-simd', false)).toThrow(/no WebAssembly SIMD/);
  });
});

describe('EngineHost: a long prompt', () => {
  it('is read in slices with progress, and writes exactly what the session writes from the whole prompt at once', async () => {
    const prompt = encodeUtf8('The state of the union is strong, and the people are its strength. '.repeat(100)); // about 7 KB
    const t = await loaded('wasm-simd');
    await t.h.handle({ id: 2, type: 'generate', prompt, options: options({ length: 200 }) });
    const reading = only(t.responses, 'reading');
    expect(reading.length).toBeGreaterThan(0);
    for (const r of reading) expect(r.total).toBe(prompt.length);
    expect(reading.map((r) => r.read)).toEqual([...reading.map((r) => r.read)].sort((a, b) => a - b));
    const bytes = chunks(t.responses).flatMap((c) => [...c.bytes]);
    expect(bytes).toHaveLength(200);
    const session = await openSession(await readSoma(weights), 'wasm-simd');
    const reference: number[] = [];
    for (const ev of session.generate(prompt, options({ length: 200 }))) reference.push(ev.byte);
    expect(bytes).toEqual(reference);
  });

  it('stops while it is read', async () => {
    const prompt = encodeUtf8('x'.repeat(400_000));
    const t = await loaded('wasm-simd');
    const running = t.h.handle({ id: 2, type: 'generate', prompt, options: options({ length: 10 }) });
    while (only(t.responses, 'reading').length === 0) await new Promise((r) => setTimeout(r, 1));
    await t.h.handle({ id: 3, type: 'stop' });
    await running;
    const done = only(t.responses, 'done');
    expect(done).toHaveLength(1);
    expect(done[0].reason).toBe('stopped');
    expect(chunks(t.responses)).toHaveLength(0);
  });
});
