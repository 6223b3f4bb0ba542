// serve(): the worker's side of the protocol, driven with requests as the page posts them and a
// port that records every response. What the engine does is tests/engine/engine.test.ts's part.
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelsWasm } from '../../src/cli/node-engine';
import { LocalEngine } from '../../src/engine/local-engine';
import type { GenerateOptions, Request, Response } from '../../src/engine/protocol';
import { type RequestPort, serve } from '../../src/engine/serve';
import { encodeUtf8 } from '../../src/model/utf8';
import { ENGLISH, somaBytes } from '../helpers';

let weights: ArrayBuffer;
beforeAll(async () => {
  const bytes = await somaBytes();
  weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
});

const options: GenerateOptions = { length: 300, temperature: 0.8, topK: 40, topP: 0.95, repeatPenalty: 1.05, repeatWindow: 64, seed: 3, continue: false };

/** A served LocalEngine: `send` posts a request and resolves once its answer (or its last answer) is out. */
function served() {
  const responses: Response[] = [];
  const transfers: Transferable[][] = [];
  const port: RequestPort = {
    onmessage: null,
    postMessage: (r, transfer) => {
      responses.push(r);
      transfers.push(transfer);
    },
  };
  serve(new LocalEngine({ kernels: kernelsWasm }), port);
  const TERMINAL = new Set(['loaded', 'done', 'score-done', 'paused', 'weights-state', 'file', 'compared', 'ok', 'error']);
  const send = async (req: Request) => {
    port.onmessage!(new MessageEvent('message', { data: req }));
    while (!responses.some((r) => r.id === req.id && TERMINAL.has(r.type))) await new Promise((r) => setTimeout(r, 1));
    return responses.filter((r) => r.id === req.id);
  };
  return { send, responses, transfers };
}

describe('serve', () => {
  it('answers each request under its id: loaded, chunks then one done, ok', async () => {
    const s = served();
    expect((await s.send({ id: 7, type: 'load', weights, backend: 'auto' })).map((r) => r.type)).toEqual(['loaded']);
    const generated = await s.send({ id: 8, type: 'generate', prompt: encodeUtf8('The '), options });
    expect(generated.at(-1)).toMatchObject({ type: 'done', reason: 'length', stats: { generated: 300 } });
    expect(generated.slice(0, -1).every((r) => r.type === 'chunk')).toBe(true);
    expect(await s.send({ id: 9, type: 'stop' })).toEqual([{ id: 9, type: 'ok' }]);
    expect(await s.send({ id: 10, type: 'reset' })).toEqual([{ id: 10, type: 'ok' }]);
  });

  it("hands a scored chunk's buffers over rather than copying them", async () => {
    const s = served();
    await s.send({ id: 1, type: 'load', weights, backend: 'auto' });
    const scored = await s.send({ id: 2, type: 'score', text: ENGLISH.subarray(0, 500) });
    expect(scored.at(-1)).toMatchObject({ type: 'score-done', done: { bytes: 500, reason: 'length' } });
    const at = s.responses.findIndex((r) => r.type === 'scored');
    const chunk = (s.responses[at] as Extract<Response, { type: 'scored' }>).chunk;
    expect(s.transfers[at]).toEqual([chunk.bytes.buffer, chunk.bits.buffer, chunk.experts.buffer, chunk.topBytes.buffer, chunk.topProbs.buffer, chunk.router.buffer]);
  });

  it("answers a refusal with the engine's own message, and an unknown request with an error", async () => {
    const s = served();
    expect(await s.send({ id: 3, type: 'generate', prompt: new Uint8Array(0), options })).toEqual([{ id: 3, type: 'error', message: 'engine error: no model loaded' }]);
    expect(await s.send({ id: 4, type: 'load', weights: encodeUtf8('not a model').buffer as ArrayBuffer, backend: 'auto' })).toEqual([{ id: 4, type: 'error', message: expect.stringMatching(/^soma\.bin: /) }]);
    expect(await s.send({ id: 5, type: 'dance' } as unknown as Request)).toEqual([{ id: 5, type: 'error', message: 'engine error: unknown request "dance"' }]);
  });
});
