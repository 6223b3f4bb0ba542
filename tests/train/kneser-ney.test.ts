// The Kneser-Ney byte n-gram models (the baselines' and the trainer's teacher): normalisation, no
// zero probabilities, agreement with a direct (slow) implementation of the same formulas, the
// evaluation loop, and the whole-distribution routine the teacher uses. Needs no data/.
import { describe, expect, it } from 'vitest';
import { KnDistributions, estimateDiscounts, knCrossEntropy, knDistribution, knProb, maxNormalisationError, trainKn, type KnModel } from '../../src/train/kneser-ney';
import { ENGLISH } from '../helpers';

const enc = (s: string) => new TextEncoder().encode(s);

const TINY = enc(
  'the cat sat on the mat.\nthe hat sat on the cat!\nthat mat, that hat; the end.\n' +
    'a bat ate the rat at ten to ten.\nthe cat sat. the cat sat. the cat sat.\n' +
    'caf\u00e9 na\u00efve \u2014 r\u00e9sum\u00e9\n',
);

/** The k-gram contexts (k - 1 bytes) a trained table holds, unpacked. */
function seenContexts(model: KnModel): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const t of model.tables) {
    for (const key of t.ctxKeys) {
      const bytes = new Uint8Array(t.order - 1);
      let v = key;
      for (let i = t.order - 2; i >= 0; i--) {
        bytes[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out.push(bytes);
    }
  }
  return out;
}

/**
 * Interpolated modified KN written out directly from the definitions, with string-keyed maps and
 * sets and full sums over the 256 bytes: the reference for the packed, sorted implementation.
 */
function referenceKn(text: Uint8Array, maxOrder: number): (context: number[], w: number, n: number) => number {
  const key = (a: ArrayLike<number>) => Array.from(a).join(',');
  const raw = new Map<string, number>();
  const left = new Map<string, Set<number>>();
  for (let k = 1; k <= maxOrder; k++) {
    for (let i = 0; i + k <= text.length; i++) {
      const g = key(text.subarray(i, i + k));
      raw.set(g, (raw.get(g) ?? 0) + 1);
      if (i > 0) {
        if (!left.has(g)) left.set(g, new Set());
        left.get(g)!.add(text[i - 1]);
      }
    }
  }
  const cont = (g: string) => left.get(g)?.size ?? 0;
  const discounts = new Map<string, [number, number, number]>();
  for (let k = 1; k <= maxOrder; k++) {
    for (const top of [true, false]) {
      const n = [0, 0, 0, 0, 0];
      for (const g of raw.keys()) {
        if (g.split(',').length !== k) continue;
        const c = top ? raw.get(g)! : cont(g);
        if (c >= 1 && c <= 4) n[c]++;
      }
      discounts.set(`${k}${top}`, estimateDiscounts(n[1], n[2], n[3], n[4]));
    }
  }
  const disc = (d: [number, number, number], c: number) => (c === 0 ? 0 : d[Math.min(c, 3) - 1]);
  const p = (ctx: number[], w: number, k: number, top: boolean): number => {
    if (k === 0) return 1 / 256;
    const h = ctx.slice(ctx.length - (k - 1));
    const count = (x: number) => {
      const g = key([...h, x]);
      return top ? (raw.get(g) ?? 0) : cont(g);
    };
    const d = discounts.get(`${k}${top}`)!;
    let total = 0;
    let mass = 0;
    for (let x = 0; x < 256; x++) {
      total += count(x);
      mass += disc(d, count(x));
    }
    const lower = p(ctx, w, k - 1, false);
    if (total === 0) return lower;
    return (count(w) - disc(d, count(w))) / total + (mass / total) * lower;
  };
  return (context, w, n) => p(context, w, Math.min(n, context.length + 1), true);
}

describe('modified Kneser-Ney byte n-grams', () => {
  const model = trainKn(TINY, 5);

  it('discounts follow Chen & Goodman and stay within (0, r]', () => {
    const [d1, d2, d3] = estimateDiscounts(100, 40, 20, 10);
    const y = 100 / 180;
    expect(d1).toBeCloseTo(1 - (2 * y * 40) / 100, 12);
    expect(d2).toBeCloseTo(2 - (3 * y * 20) / 40, 12);
    expect(d3).toBeCloseTo(3 - (4 * y * 10) / 20, 12);
    const cases: [number, number, number, number][] = [[0, 0, 0, 0], [5, 0, 0, 0], [1, 9, 0, 3], [3, 1, 1, 50]];
    for (const counts of cases) {
      const d = estimateDiscounts(...counts);
      d.forEach((x, i) => {
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThanOrEqual(i + 1);
      });
    }
  });

  it('every distribution sums to 1 within 1e-9, for every seen context and some unseen ones', () => {
    const contexts = [
      ...seenContexts(model),
      new Uint8Array(0),
      enc('t'),
      enc('the '),
      enc('xyz'),
      enc('qqqqqqqq'),
      enc('the cat s'),
      enc('r\u00e9'),
      new Uint8Array([0, 255, 7, 200]),
    ];
    expect(contexts.length).toBeGreaterThan(200);
    expect(maxNormalisationError(model, contexts)).toBeLessThan(1e-9);
    for (const ctx of [enc('the c'), enc('zz')]) {
      for (let n = 1; n <= 5; n++) {
        const dist = knDistribution(model, ctx, n);
        expect(Math.abs(dist.reduce((s, p) => s + p, 0) - 1)).toBeLessThan(1e-9);
      }
    }
  });

  it('gives an unseen byte a probability above zero in seen and unseen contexts', () => {
    for (const ctx of [new Uint8Array(0), enc('the c'), enc('at t'), enc('#~`')]) {
      for (let n = 1; n <= 5; n++) {
        for (const w of [0x5a, 0x00, 0xff]) {
          // 'Z', NUL, 0xFF never occur in TINY
          expect(knProb(model, ctx, w, n)).toBeGreaterThan(0);
        }
      }
    }
    for (let n = 1; n <= 5; n++) expect(Math.min(...knDistribution(model, enc('the c'), n))).toBeGreaterThan(0);
  });

  it('agrees with a direct implementation of the same formulas', () => {
    const ref = referenceKn(TINY, 5);
    const cases: [string, string][] = [['', 't'], ['th', 'e'], ['the c', 'a'], ['the c', 'Z'], ['e ca', 't'], ['xyz', 'a'], ['t. t', 'h'], ['on ', 'q']];
    for (const [ctx, next] of cases) {
      const c = enc(ctx);
      const w = enc(next)[0];
      for (let n = 1; n <= 5; n++) {
        const want = ref(Array.from(c), w, n);
        expect(Math.abs(knProb(model, c, w, n) - want)).toBeLessThan(1e-12);
      }
    }
  });

  it('sums the same log-probabilities in its evaluation loop, short contexts first', () => {
    const text = enc('the rat sat on a hat. Zebra!');
    const totals = knCrossEntropy(model, text);
    for (let n = 1; n <= 5; n++) {
      let nats = 0;
      for (let i = 0; i < text.length; i++) nats -= Math.log(knProb(model, text.subarray(0, i), text[i], n));
      expect(totals[n - 1]).toBeCloseTo(nats, 9);
    }
  });

  it('scores a repetitive text better with higher orders than with a unigram', () => {
    const rep = enc('abcdefgh '.repeat(200));
    const m = trainKn(rep, 5);
    const test = enc('abcdefgh '.repeat(20));
    const t = knCrossEntropy(m, test);
    expect(t[2]).toBeLessThan(t[0] / 4); // trigram vs unigram
    expect(t[4]).toBeLessThan(t[0] / 4);
    expect(t[1]).toBeLessThan(t[0]);
    // The unigram of nine equally frequent bytes costs about ln 9 nats a byte.
    expect(t[0] / test.length).toBeGreaterThan(Math.log(9) - 0.05);
  });

  it('trains models of every supported order, and refuses others', () => {
    for (let n = 1; n <= 6; n++) {
      const m = trainKn(TINY, n);
      expect(maxNormalisationError(m, [enc(''), enc('the cat'), enc('zzz')])).toBeLessThan(1e-9);
    }
    expect(() => trainKn(TINY, 0)).toThrow(RangeError);
    expect(() => trainKn(TINY, 7)).toThrow(RangeError);
  });
});

describe('KnDistributions', () => {
  it("gives knDistribution's top order for every context length, seen and unseen", () => {
    const model = trainKn(ENGLISH, 5);
    const tabled = new KnDistributions(model);
    const dist = new Float64Array(256);
    for (const ctx of ['', 't', 'th', ' th', 'the ', 'n the', 'qqqq', 'zq t', '\n\n\n\n']) {
      const bytes = enc(ctx);
      const avail = Math.min(bytes.length, 4);
      let hist = 0;
      for (let i = bytes.length - avail; i < bytes.length; i++) hist = hist * 256 + bytes[i];
      tabled.fill(hist, avail, dist);
      const want = knDistribution(model, bytes);
      for (let v = 0; v < 256; v++) expect(dist[v]).toBeCloseTo(want[v], 12);
    }
  });
});
