// The sampler: greedy, top-k, top-p, the repetition penalty and the seeded draw, checked against
// float64 computations done here by hand.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/model/random';
import { DEFAULT_SAMPLING, SAMPLING_LIMITS, Sampler, type SamplingSettings, distributionStats, logSumExp, samplingError } from '../../src/model/sampler';

const settings = (o: Partial<SamplingSettings> = {}): SamplingSettings => ({ ...DEFAULT_SAMPLING, ...o });
const PLAIN = settings({ temperature: 1, topK: 0, topP: 1, repeatPenalty: 1 });

/** 256 fp32 logits, normal with the given spread, from a seed. */
function randomLogits(seed: number, spread = 1.5): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: 256 }, () => rng.normal() * spread);
}

/** Logits giving the listed bytes the listed probabilities, and every other byte almost none. */
function logitsFor(probs: Record<number, number>): number[] {
  const x = new Array<number>(256).fill(-50);
  for (const [b, p] of Object.entries(probs)) x[Number(b)] = Math.log(p);
  return x;
}

function softmax(x: ArrayLike<number>, temperature = 1): number[] {
  const e = Array.from(x, (v) => Math.exp(v / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

const argmax = (x: ArrayLike<number>): number => Array.from(x).reduce((best, v, i, a) => (v > a[best] ? i : best), 0);

function draw(s: SamplingSettings, x: ArrayLike<number>, n: number, seen: number[] = []): number[] {
  const sampler = new Sampler(s);
  for (const b of seen) sampler.observe(b);
  return Array.from({ length: n }, () => sampler.sample(x, 0));
}

function frequencies(bytes: number[]): number[] {
  const f = new Array<number>(256).fill(0);
  for (const b of bytes) f[b] += 1 / bytes.length;
  return f;
}

describe('Sampler', () => {
  it('temperature 0 is greedy argmax, after the repetition penalty', () => {
    const x = logitsFor({ 65: 0.4, 66: 0.35, 67: 0.25 }); // 65 leads 66 by a small margin
    expect(draw(settings({ temperature: 0 }), x, 5)).toEqual([65, 65, 65, 65, 65]);
    expect(draw(settings({ temperature: 0, repeatPenalty: 1.5 }), x, 3, [65])).toEqual([66, 66, 66]);
    // Positive logits are divided by the penalty, so a seen leader can fall behind too.
    const pos = new Array<number>(256).fill(0);
    pos[65] = 2;
    pos[66] = 1.9;
    expect(draw(settings({ temperature: 0, repeatPenalty: 1.1 }), pos, 1)).toEqual([65]);
    expect(draw(settings({ temperature: 0, repeatPenalty: 1.1 }), pos, 1, [65])).toEqual([66]);
    for (let seed = 0; seed < 20; seed++) {
      const r = randomLogits(seed);
      expect(draw(settings({ temperature: 0, repeatPenalty: 1, seed }), r, 1)).toEqual([argmax(r)]);
    }
  });

  it('top-k 1 is argmax at any temperature', () => {
    for (let seed = 0; seed < 10; seed++) {
      const x = randomLogits(100 + seed, 0.3); // a flat distribution: sampling would wander
      for (const temperature of [0.5, 1, 3, 5]) {
        expect(new Set(draw(settings({ temperature, topK: 1, topP: 1, repeatPenalty: 1, seed }), x, 50))).toEqual(new Set([argmax(x)]));
      }
    }
  });

  it('the same seed and settings give the same sequence; another seed differs', () => {
    const x = randomLogits(1, 0.5);
    const a = draw(settings({ seed: 42 }), x, 300);
    expect(draw(settings({ seed: 42 }), x, 300)).toEqual(a);
    expect(draw(settings({ seed: 43 }), x, 300)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(10); // it really samples
  });

  it.each([1, 2])('at temperature %s with no filters, draws follow softmax(logits / T)', (temperature) => {
    const x = randomLogits(9);
    const p = softmax(x, temperature);
    const n = 40_000;
    const f = frequencies(draw({ ...PLAIN, temperature, seed: 5 }, x, n));
    for (let b = 0; b < 256; b++) expect(Math.abs(f[b] - p[b])).toBeLessThanOrEqual(5 * Math.sqrt((p[b] * (1 - p[b])) / n) + 1e-3);
  });

  it('top-k never draws outside the k likeliest bytes', () => {
    const x = randomLogits(3, 0.5);
    const top5 = Array.from(x.keys()).sort((a, b) => x[b] - x[a]).slice(0, 5);
    const drawn = new Set(draw(settings({ temperature: 2, topK: 5, topP: 1, seed: 8 }), x, 3000));
    expect([...drawn].sort((a, b) => a - b)).toEqual([...top5].sort((a, b) => a - b));
  });

  it('top-p keeps the smallest set of likeliest bytes that reaches the mass', () => {
    const x = logitsFor({ 10: 0.5, 20: 0.3, 30: 0.15, 40: 0.05 });
    const n = 20_000;
    const cases: [number, Record<number, number>][] = [
      [0.4, { 10: 1 }],
      [0.7, { 10: 0.5 / 0.8, 20: 0.3 / 0.8 }],
      [0.9, { 10: 0.5 / 0.95, 20: 0.3 / 0.95, 30: 0.15 / 0.95 }],
      [0.97, { 10: 0.5, 20: 0.3, 30: 0.15, 40: 0.05 }],
    ];
    for (const [topP, want] of cases) {
      const f = frequencies(draw({ ...PLAIN, topP, seed: 11 }, x, n));
      const drawn = f.flatMap((v, b) => (v > 0 ? [b] : []));
      expect(drawn, `topP ${topP}`).toEqual(Object.keys(want).map(Number));
      for (const [b, p] of Object.entries(want)) expect(Math.abs(f[Number(b)] - p), `topP ${topP} byte ${b}`).toBeLessThan(0.02);
    }
    // On a realistic spread, the drawn set stays inside the nucleus computed by hand.
    const r = randomLogits(21);
    const p = softmax(r);
    const order = Array.from(r.keys()).sort((a, b) => p[b] - p[a]);
    const nucleus = new Set<number>();
    let mass = 0;
    for (const b of order) {
      if (mass >= 0.8) break;
      nucleus.add(b);
      mass += p[b];
    }
    const drawn = new Set(draw({ ...PLAIN, topP: 0.8, seed: 2 }, r, 5000));
    for (const b of drawn) expect(nucleus.has(b), `byte ${b} outside the 0.8 nucleus`).toBe(true);
    expect(drawn.size).toBeGreaterThan(nucleus.size / 2);
  });

  it('the repetition penalty lowers recently seen bytes and forgets bytes that left the window', () => {
    const x = new Array<number>(256).fill(0);
    x[65] = x[66] = 3;
    const s = { ...PLAIN, repeatPenalty: 2, repeatWindow: 4, seed: 4 };
    // 65 seen: its logit 3 becomes 1.5 and its probability falls accordingly.
    const penalised = [...x];
    penalised[65] = 1.5;
    const n = 20_000;
    const f = frequencies(draw(s, x, n, [65]));
    expect(f[65]).toBeCloseTo(softmax(penalised)[65], 2);
    expect(f[65]).toBeLessThan(f[66] / 3);
    // Greedy: seen within the last 4 bytes, 65 loses to 66; pushed out by 4 newer bytes, it no longer does.
    const g = { ...s, temperature: 0 };
    x[65] = 3.1;
    expect(draw(g, x, 1, [65, 1, 2, 3])).toEqual([66]);
    expect(draw(g, x, 1, [65, 1, 2, 3, 4])).toEqual([65]);
    expect(draw({ ...g, repeatWindow: 0 }, x, 1, [65])).toEqual([65]);
  });
});

describe('samplingError', () => {
  it('accepts the defaults and the ends of every range', () => {
    expect(samplingError(DEFAULT_SAMPLING)).toBeNull();
    const lows = Object.fromEntries(Object.entries(SAMPLING_LIMITS).map(([k, [lo]]) => [k, lo]));
    const highs = Object.fromEntries(Object.entries(SAMPLING_LIMITS).map(([k, [, hi]]) => [k, hi]));
    expect(samplingError(lows)).toBeNull();
    expect(samplingError(highs)).toBeNull();
  });

  const bad: [keyof SamplingSettings, unknown][] = [
    ['temperature', NaN],
    ['temperature', Infinity],
    ['temperature', -1],
    ['temperature', 5.5],
    ['temperature', '0.8'],
    ['topK', 1.5],
    ['topK', 257],
    ['topK', -1],
    ['topP', 0],
    ['topP', 1.01],
    ['topP', -Infinity],
    ['repeatPenalty', 0.9],
    ['repeatPenalty', NaN],
    ['repeatWindow', 2.5],
    ['repeatWindow', 4097],
    ['seed', 0.5],
    ['seed', -1],
    ['seed', 2 ** 32],
    ['seed', '1'],
    ['seed', undefined],
  ];
  it.each(bad)('rejects %s = %s, naming it', (key, value) => {
    expect(samplingError({ ...DEFAULT_SAMPLING, [key]: value })).toMatch(new RegExp(`^${key} must be`));
    expect(() => new Sampler({ ...DEFAULT_SAMPLING, [key]: value } as SamplingSettings)).toThrow(RangeError);
  });
});

describe('logSumExp and distributionStats', () => {
  it('agree with a direct float64 computation, at an offset', () => {
    const x = new Float32Array(300);
    x.set(randomLogits(17, 2), 30);
    const direct = Array.from(x.subarray(30, 286), Number);
    const sum = direct.reduce((a, v) => a + Math.exp(v), 0);
    expect(logSumExp(x, 30, 256)).toBeCloseTo(Math.log(sum), 12);
    const p = direct.map((v) => Math.exp(v) / sum);
    const entropy = -p.reduce((a, q) => a + q * Math.log2(q), 0);
    for (const byte of [0, 7, argmax(direct), 255]) {
      const s = distributionStats(x, 30, 256, byte);
      expect(s.entropyBits).toBeCloseTo(entropy, 10);
      expect(s.prob).toBeCloseTo(p[byte], 12);
    }
  });

  it('are exact at the extremes and stable for large logits', () => {
    const flat = new Float64Array(256).fill(1000);
    expect(logSumExp(flat, 0, 256)).toBeCloseTo(1000 + Math.log(256), 9);
    expect(distributionStats(flat, 0, 256, 3)).toEqual({ entropyBits: expect.closeTo(8, 12), prob: expect.closeTo(1 / 256, 15) });
    const sharp = new Float64Array(256).fill(-1e4);
    sharp[9] = 50;
    const s = distributionStats(sharp, 0, 256, 9);
    expect(s.prob).toBe(1);
    expect(s.entropyBits).toBeCloseTo(0, 12);
    expect(logSumExp([1, 2], 0, 2)).toBeCloseTo(Math.log(Math.E + Math.E ** 2), 14);
  });
});
