// The reference model against a plain float64 oracle written from the math, tensor by tensor:
// it checks the indexing of every weight and buffer in forward.ts.
import { describe, expect, it } from 'vitest';
import { type SomaConfig, decoderWidth } from '../../src/model/config';
import { type Model, resetState, stateLayout, step, tanh } from '../../src/model/forward';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { widenDecoder } from '../../src/model/reshape';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { ENGLISH } from '../helpers';

const CFG: SomaConfig = { vocab: 256, embed: 12, routerHidden: 20, experts: 5, expertHidden: 10, mlpHidden: 14, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
const WIDE: SomaConfig = { ...CFG, decoderInput: 'h2+h1+x' };
const WITH_ROUTER: SomaConfig = { ...CFG, decoderInput: 'h2+h1+x+r' };
const UNIT: SomaConfig = { ...CFG, layer2Recurrence: 'unit' };
const UNIT_WIDE: SomaConfig = { ...WIDE, layer2Recurrence: 'unit' };

function oracle(c: SomaConfig, weights: Float32Array) {
  const L = weightLayout(c);
  const T = (name: string) => {
    const t = L.byName.get(name)!;
    return Array.from(weights.subarray(t.offset, t.offset + t.size));
  };
  const W = Object.fromEntries(L.tensors.map((t) => [t.name, T(t.name)]));
  const { embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = c;
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const mv = (w: number[], wo: number, b: number[], bo: number, x: number[], rows: number) =>
    Array.from({ length: rows }, (_, r) => b[bo + r] + x.reduce((s, v, i) => s + w[wo + r * x.length + i] * v, 0));
  const cell = (g: number[], c: number[], n: number) => {
    const h = [];
    for (let i = 0; i < n; i++) {
      c[i] = sig(g[n + i]) * c[i] + sig(g[i]) * Math.tanh(g[2 * n + i]);
      h.push(sig(g[3 * n + i]) * Math.tanh(c[i]));
    }
    return h;
  };
  const ln = (x: number[], g: number[], b: number[], o: number) => {
    const m = x.reduce((a, v) => a + v, 0) / x.length;
    const v = x.reduce((a, y) => a + (y - m) ** 2, 0) / x.length;
    return x.map((y, i) => ((y - m) / Math.sqrt(v + 1e-5)) * g[o + i] + b[o + i]);
  };
  let hr = Array(R).fill(0), cr = Array(R).fill(0);
  const h1 = Array.from({ length: K }, () => Array(H).fill(0)), c1 = h1.map((a) => [...a]);
  const h2 = h1.map((a) => [...a]), c2 = h1.map((a) => [...a]);
  const y1 = h1.map((a) => [...a]);
  const D = decoderWidth(c);
  return (byte: number) => {
    const x = W['embed'].slice(byte * E, byte * E + E);
    hr = cell(mv(W['router.w'], 0, W['router.b'], 0, [...x, ...hr], 4 * R), cr, R);
    const scores = mv(W['router.head.w'], 0, W['router.head.b'], 0, hr, K);
    const win = scores.indexOf(Math.max(...scores));
    for (let e = 0; e < K; e++) {
      h1[e] = cell(mv(W['experts.l1.w'], e * 4 * H * (E + H), W['experts.l1.b'], e * 4 * H, [...x, ...h1[e]], 4 * H), c1[e], H);
      y1[e] = ln(h1[e], W['experts.ln1.g'], W['experts.ln1.b'], e * H);
      if (c.layer2Recurrence === 'unit') {
        const own = mv(W['experts.l2.w'], e * 4 * H * H, W['experts.l2.b'], e * 4 * H, y1[e], 4 * H).map((g, q) => g + W['experts.l2.r'][e * 4 * H + q] * h2[e][q % H]);
        h2[e] = cell(own, c2[e], H);
      } else h2[e] = cell(mv(W['experts.l2.w'], e * 8 * H * H, W['experts.l2.b'], e * 4 * H, [...y1[e], ...h2[e]], 4 * H), c2[e], H);
    }
    const y2 = ln(h2[win], W['experts.ln2.g'], W['experts.ln2.b'], win * H);
    const d = c.decoderInput === 'h2' ? y2 : c.decoderInput === 'h2+h1+x' ? [...y2, ...y1[win], ...x] : [...y2, ...y1[win], ...x, ...hr];
    const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    const hid = mv(W['experts.mlp.w1'], win * M * D, W['experts.mlp.b1'], win * M, d, M).map(gelu);
    return { win, logits: mv(W['experts.mlp.w2'], win * 256 * M, W['experts.mlp.b2'], win * 256, hid, 256) };
  };
}

describe('forward (the reference model)', () => {
  it("the model's tanh is within 3e-7 of the true tanh", () => {
    for (let x = -12; x <= 12; x += 1 / 1024) expect(Math.abs(tanh(x) - Math.tanh(x))).toBeLessThan(3e-7);
  });

  it.each([CFG, WIDE, WITH_ROUTER, UNIT, UNIT_WIDE])('matches a float64 oracle written from the math, byte by byte with state carried (decoder input $decoderInput, layer 2 $layer2Recurrence)', (cfg) => {
    const weights = initWeights(cfg, 5);
    const layout = weightLayout(cfg);
    const B = 3; // three streams at once: batched and single-stream paths must both be right
    const heap = new Float32Array(layout.total + stateLayout(cfg, B, 0).size);
    heap.set(weights);
    const m: Model = { config: cfg, kernels: jsKernels(heap), w: weightOffsets(layout) };
    const s = stateLayout(cfg, B, layout.total);
    resetState(heap, s);
    const oracles = [0, 1, 2].map(() => oracle(cfg, weights));
    const winners = new Int32Array(B);
    let maxDiff = 0;
    const used = new Set<number>();
    for (let t = 0; t < 300; t++) {
      const bytes = [ENGLISH[t], ENGLISH[t + 1000], ENGLISH[t + 2000]];
      step(m, s, bytes, winners);
      for (let j = 0; j < B; j++) {
        const o = oracles[j](bytes[j]);
        expect(winners[j]).toBe(o.win);
        used.add(o.win);
        for (let i = 0; i < 256; i++) maxDiff = Math.max(maxDiff, Math.abs(heap[s.logits + j * 256 + i] - o.logits[i]));
      }
    }
    expect(maxDiff).toBeLessThan(1e-4);
    expect(used.size).toBeGreaterThan(1); // more than one expert's decoder was checked
  });

  it('a narrow decoder widened (input columns, hidden units) computes the same logits, bit for bit', () => {
    // H and M multiples of 8, as in every real config: the kernels' blocks of 8 then see the old
    // weights exactly as before, and the new ones add exact zeros.
    const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 16, mlpHidden: 16, decoderInput: 'h2', bos: 10, layer2Recurrence: 'full' };
    const WIDE: SomaConfig = { ...CFG, decoderInput: 'h2+h1+x' };
    const narrow = initWeights(CFG, 7);
    const wide = widenDecoder(CFG, narrow, WIDE);
    const run = (cfg: SomaConfig, weights: Float32Array) => {
      const layout = weightLayout(cfg);
      const heap = new Float32Array(layout.total + stateLayout(cfg, 1, 0).size);
      heap.set(weights);
      const m: Model = { config: cfg, kernels: jsKernels(heap), w: weightOffsets(layout) };
      const s = stateLayout(cfg, 1, layout.total);
      resetState(heap, s);
      const out: number[] = [];
      const winners = new Int32Array(1);
      for (let t = 0; t < 200; t++) {
        step(m, s, [ENGLISH[t]], winners);
        out.push(...heap.subarray(s.logits, s.logits + 256));
      }
      return Float32Array.from(out);
    };
    const a = run(CFG, narrow);
    expect(run(WIDE, wide)).toEqual(a);
    const WITH_ROUTER: SomaConfig = { ...CFG, decoderInput: 'h2+h1+x+r' };
    expect(run(WITH_ROUTER, widenDecoder(WIDE, wide, WITH_ROUTER))).toEqual(a);
    // More hidden units, with fresh input rows (so the row steps see them) and zero output weights.
    const DEEP: SomaConfig = { ...WIDE, mlpHidden: 32 };
    const fresh = initWeights(DEEP, 9);
    const deep = widenDecoder(WIDE, wide, DEEP, fresh);
    expect(run(DEEP, deep)).toEqual(a);
    const w1 = weightLayout(DEEP).byName.get('experts.mlp.w1')!, D = 2 * 16 + 8;
    const newRow = w1.offset + (2 * 32 + 20) * D; // expert 2, unit 20: a new unit
    expect(deep.subarray(newRow, newRow + D)).toEqual(fresh.subarray(newRow, newRow + D));
    expect(deep.subarray(newRow, newRow + D).some((x) => x !== 0)).toBe(true);
    const oldRow = w1.offset + (2 * 32 + 5) * D; // expert 2, unit 5: its old weights, then zeros
    const w1Narrow = weightLayout(WIDE).byName.get('experts.mlp.w1')!;
    expect(deep.subarray(oldRow, oldRow + D)).toEqual(wide.subarray(w1Narrow.offset + (2 * 16 + 5) * D, w1Narrow.offset + (2 * 16 + 6) * D));
    // Without fresh values (the trainer's momentum) every new entry is zero.
    const zeros = widenDecoder(WIDE, wide, DEEP);
    expect(zeros.subarray(newRow, newRow + D).every((x) => x === 0)).toBe(true);
    expect(zeros.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0)).toBe(wide.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0));
    expect(wide.length).toBeGreaterThan(narrow.length);
    expect(() => widenDecoder(WIDE, wide, CFG)).toThrow(/cannot carry a decoder that reads/);
    expect(() => widenDecoder(DEEP, deep, WIDE)).toThrow(/cannot carry a decoder of 32 hidden units/);
    expect(() => widenDecoder(CFG, narrow, { ...WIDE, expertHidden: 24 })).toThrow(/only the decoder input and its hidden width/);
  });
});
