import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SomaConfig } from '../../src/model/config';
import { MAX_HEADER_BYTES, SomaFormatError, type SomaHeader, readSoma, sha256Hex, writeSoma } from '../../src/model/format';
import { fromHalfBits, toHalfBits } from '../../src/model/half';
import { initWeights } from '../../src/model/init';
import { Rng } from '../../src/model/random';
import { UNTRAINED } from '../helpers';

const TINY: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 2, expertHidden: 8, mlpHidden: 8, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };

let good: Uint8Array;
let header: SomaHeader;
let payloadStart: number;

beforeAll(async () => {
  good = await writeSoma(TINY, initWeights(TINY, 3), UNTRAINED);
  const len = new DataView(good.buffer).getUint32(8, true);
  header = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + len)));
  payloadStart = Math.ceil((12 + len) / 64) * 64;
});

/** Builds a file from a header object (or raw header text) and a payload, with the preamble as given. */
function build(h: unknown, payload: Uint8Array, o: { magic?: string; version?: number; headerLen?: number } = {}): Uint8Array {
  const json = typeof h === 'string' ? new TextEncoder().encode(h) : new TextEncoder().encode(JSON.stringify(h));
  const start = Math.ceil((12 + json.length) / 64) * 64;
  const out = new Uint8Array(start + payload.length);
  out.set([...(o.magic ?? 'SOMA')].map((c) => c.charCodeAt(0)));
  const dv = new DataView(out.buffer);
  dv.setUint32(4, o.version ?? 1, true);
  dv.setUint32(8, o.headerLen ?? json.length, true);
  out.set(json, 12);
  out.set(payload, start);
  return out;
}

const payload = () => good.slice(payloadStart);

async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await expect(readSoma(bytes)).rejects.toThrow(SomaFormatError);
  await expect(readSoma(bytes)).rejects.toThrow(pattern);
}

describe('soma.bin', () => {
  it('round-trips weights, config and provenance exactly', async () => {
    const w = initWeights(DEFAULT_CONFIG, 11);
    const f = await readSoma(await writeSoma(DEFAULT_CONFIG, w, { ...UNTRAINED, notes: 'ünïcode ✓' }));
    expect(f.config).toEqual(DEFAULT_CONFIG);
    expect(f.weights.length).toBe(w.length);
    expect(Buffer.from(f.weights.buffer).equals(Buffer.from(w.buffer))).toBe(true);
    expect(f.provenance.notes).toBe('ünïcode ✓');
    expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('places the payload 64-byte aligned and each tensor at a 64-byte offset', () => {
    expect(payloadStart % 64).toBe(0);
    for (const t of header.tensors) expect(t.offset % 64).toBe(0);
  });

  it('refuses each kind of malformed file with its own clear message', async () => {
    await rejects(good.subarray(0, 5), /truncated/);
    await rejects(build(header, payload(), { magic: 'GGUF' }), /bad magic/);
    await rejects(build(header, payload(), { version: 2 }), /version 2 is not supported/);
    await rejects(build(header, payload(), { headerLen: MAX_HEADER_BYTES + 1 }), /over the limit/);
    await rejects(build(header, payload(), { headerLen: 1 << 19 }), /truncated: the header/);
    await rejects(build('{"config": ', payload()), /not valid UTF-8 JSON/);
    await rejects(build('[1,2]', payload()), /not a JSON object/);
    await rejects(good.subarray(0, good.length - 1), /truncated: expected/);
    await rejects(new Uint8Array([...good, 0]), /unexpected bytes after/);
    await rejects(build({ ...header, config: { ...TINY, embed: 9 } }, payload()), /shape/);
    await rejects(build({ ...header, config: { ...TINY, experts: 100 } }, payload()), /experts/);
    await rejects(build({ ...header, tensors: header.tensors.slice(1) }, payload()), /tensor table has/);
    const t = header.tensors;
    const withT = (i: number, patch: object) => build({ ...header, tensors: t.map((x, j) => (j === i ? { ...x, ...patch } : x)) }, payload());
    await rejects(withT(0, { name: 'evil' }), /unknown tensor/);
    await rejects(withT(1, { name: t[0].name }), /listed twice/);
    await rejects(withT(0, { dtype: 'f64' }), /dtype/);
    await rejects(withT(0, { shape: [256, 1e12] }), /shape/);
    await rejects(withT(0, { offset: -64 }), /bad offset/);
    await rejects(withT(0, { offset: 3 }), /bad offset/);
    await rejects(withT(16, { offset: header.payloadBytes }), /past the payload/);
    await rejects(withT(1, { offset: 0 }), /overlap/);
    await rejects(build({ ...header, payloadBytes: -1 }, payload()), /payloadBytes/);
    await rejects(build({ ...header, payloadBytes: 2 ** 60 }, payload()), /payloadBytes|truncated/);
    await rejects(build({ ...header, sha256: 'zz' }, payload()), /sha256/);
    await rejects(build({ ...header, provenance: 'trained' }, payload()), /provenance/);
    for (const softTargets of [null, 'a 5-gram', { teacher: 'a 5-gram', weight: 2, fromStep: 0 }, { teacher: 'a 5-gram', weight: 0.9, fromStep: -1 }, { weight: 0.9, fromStep: 3 }])
      await rejects(build({ ...header, provenance: { ...header.provenance, softTargets } }, payload()), /softTargets/);
  });

  it('detects a changed payload by its hash, and NaN or Inf even when the hash is right', async () => {
    const p = payload();
    p[100] ^= 1;
    await rejects(build(header, p), /SHA-256 mismatch/);
    const nan = payload();
    new DataView(nan.buffer).setFloat32(header.tensors[3].offset, NaN, true);
    await rejects(build({ ...header, sha256: await sha256Hex(nan) }, nan), /holds NaN/);
    const inf = payload();
    new DataView(inf.buffer).setFloat32(header.tensors[5].offset + 8, -Infinity, true);
    await rejects(build({ ...header, sha256: await sha256Hex(inf) }, inf), /holds -Infinity/);
  });

  it('writes and reads fp16 tensors: each weight rounded to its nearest half, in half the bytes', async () => {
    const w = initWeights(TINY, 4);
    w[7] = 1e-9; // below fp16's subnormals: 0
    w[8] = 65504; // fp16's largest
    const half = await writeSoma(TINY, w, UNTRAINED, 'f16');
    expect(half.length).toBeLessThan(good.length * 0.6);
    const back = await readSoma(half);
    expect(back.header.tensors.every((t) => t.dtype === 'f16')).toBe(true);
    for (let i = 0; i < w.length; i++) {
      expect(back.weights[i]).toBe(fromHalfBits(toHalfBits(w[i])));
      expect(Math.abs(back.weights[i] - w[i])).toBeLessThanOrEqual(Math.max(Math.abs(w[i]) * 2 ** -11, 2 ** -25));
    }
    w[9] = 70000;
    await expect(writeSoma(TINY, w, UNTRAINED, 'f16')).rejects.toThrow(/beyond fp16/);
    // An infinite half with a correct hash is still refused.
    const len = new DataView(half.buffer).getUint32(8, true);
    const h = JSON.parse(new TextDecoder().decode(half.subarray(12, 12 + len)));
    const p = half.slice(Math.ceil((12 + len) / 64) * 64);
    new DataView(p.buffer).setUint16(h.tensors[2].offset + 4, 0xfc00, true);
    await rejects(build({ ...h, sha256: await sha256Hex(p) }, p), /holds -Infinity/);
    await rejects(build({ ...h, tensors: h.tensors.map((t: { offset: number }, j: number) => (j === 0 ? { ...t, offset: 1 } : t)) }, p), /bad offset/);
  });

  it('the writer refuses weights of the wrong size or with NaN', async () => {
    await expect(writeSoma(TINY, new Float32Array(10), UNTRAINED)).rejects.toThrow(/floats/);
    const w = initWeights(TINY, 1);
    w[5] = NaN;
    await expect(writeSoma(TINY, w, UNTRAINED)).rejects.toThrow(/NaN/);
  });

  // Fuzzing: every outcome is either a valid model or one SomaFormatError, quickly, never a crash.
  async function outcome(bytes: Uint8Array): Promise<'ok' | 'refused'> {
    try {
      await readSoma(bytes);
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(SomaFormatError);
      return 'refused';
    }
  }

  it('fuzz: every truncation is refused', async () => {
    const cuts = new Set<number>([0, 1, 3, 4, 8, 11, 12, 13, payloadStart - 1, payloadStart, good.length - 1]);
    const rng = new Rng(1);
    while (cuts.size < 300) cuts.add(Math.floor(rng.uniform() * good.length));
    for (const n of cuts) expect(await outcome(good.subarray(0, n))).toBe('refused');
  });

  it('fuzz: random bit flips are refused or harmless', async () => {
    const rng = new Rng(2);
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const b = good.slice();
      const flips = 1 + (rng.u32() % 4);
      // Half of the flips hit the preamble and header, where the parsing is.
      for (let f = 0; f < flips; f++) b[i % 2 ? rng.u32() % payloadStart : rng.u32() % b.length] ^= 1 << (rng.u32() % 8);
      if ((await outcome(b)) === 'refused') refused++;
    }
    expect(refused).toBeGreaterThan(300);
  });

  it('fuzz: hostile headers are refused without allocating for them', async () => {
    const rng = new Rng(3);
    const values = [null, -1, 0, 1.5, 2 ** 31, 2 ** 53, 1e308, 'x', [], {}, [1e9, 1e9], true];
    const pick = () => values[rng.u32() % values.length];
    for (let i = 0; i < 300; i++) {
      const h = JSON.parse(JSON.stringify(header));
      const r = rng.u32() % 5;
      if (r === 0) h.config[Object.keys(h.config)[rng.u32() % 7]] = pick();
      else if (r === 1) h.tensors[rng.u32() % h.tensors.length][['name', 'shape', 'offset', 'dtype'][rng.u32() % 4]] = pick();
      else if (r === 2) h.payloadBytes = pick();
      else if (r === 3) h.tensors = pick();
      else h.config = pick();
      const before = process.memoryUsage().arrayBuffers;
      expect(await outcome(build(h, payload()))).toBe('refused');
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    }
    // Deeply nested JSON and a header at the size limit are read and refused, not a stack overflow.
    expect(await outcome(build('['.repeat(100_000) + ']'.repeat(100_000), payload()))).toBe('refused');
    expect(await outcome(build(' '.repeat(MAX_HEADER_BYTES), new Uint8Array(0)))).toBe('refused');
  });
});
