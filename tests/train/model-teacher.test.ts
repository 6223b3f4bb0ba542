// A trained model as the teacher: its soft targets must be the model's own next-byte distribution
// for each stream, its state carried from window to window exactly as one long read would carry it.
import { describe, expect, it } from 'vitest';
import type { SomaConfig } from '../../src/model/config';
import { resetState, stateLayout, step } from '../../src/model/forward';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout, weightOffsets } from '../../src/model/weights';
import { ModelTeacher, TEACHER_WARMUP } from '../../src/train/model-teacher';

const CFG: SomaConfig = { vocab: 256, embed: 8, routerHidden: 8, experts: 3, expertHidden: 8, mlpHidden: 12, decoderInput: 'h2+h1+x', bos: 10, layer2Recurrence: 'full' };
const TEXT = new TextEncoder().encode('A teacher reads the same bytes as its student, one window after another. '.repeat(12));
const B = 3, T = 7, ALPHA = 0.75;
const WEIGHTS = initWeights(CFG, 4).map((x, i) => x + 0.3 * Math.sin(i)); // far from the init's near-uniform output

/** The reference: stream j read alone from TEACHER_WARMUP bytes before `from` through byte `to` − 1, the soft target of text[to]. */
function expected(from: number, to: number, target: Float64Array): void {
  const layout = weightLayout(CFG);
  const k = jsKernels(new Float32Array(layout.total + stateLayout(CFG, 1, 0).size));
  k.heap.set(WEIGHTS);
  const model = { config: CFG, kernels: k, w: weightOffsets(layout, 0) };
  const s = stateLayout(CFG, 1, layout.total);
  resetState(k.heap, s);
  const L = TEXT.length;
  for (let i = from - TEACHER_WARMUP; i < to; i++) step(model, s, [TEXT[((i % L) + L) % L]], new Int32Array(1));
  const logits = Array.from(k.heap.subarray(s.logits, s.logits + 256));
  const max = Math.max(...logits);
  const sum = logits.reduce((a, l) => a + Math.exp(l - max), 0);
  for (let v = 0; v < 256; v++) target[v] = (ALPHA * Math.exp(logits[v] - max)) / sum;
  target[TEXT[to % L]] += 1 - ALPHA;
}

/** A teacher, and how many matrix products it has run: steps are counted by them. */
function teacher() {
  const base = 100; // its floats sit after a shard's, not at 0
  const k = jsKernels(new Float32Array(base + ModelTeacher.floats(CFG, B)));
  const products = { n: 0 };
  const matmul = k.matmul;
  const counted = { ...k, matmul: (...a: Parameters<typeof matmul>) => (products.n++, matmul(...a)) };
  return Object.assign(new ModelTeacher(counted, undefined, base, CFG, WEIGHTS, TEXT, B, ALPHA), { products });
}

/** Every row of a window against the reference, for streams that started reading at `starts`. */
function expectWindow(out: Float32Array, positions: number[], starts: number[]): void {
  const want = new Float64Array(256);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < B; j++) {
      expected(starts[j], positions[j] + t + 1, want);
      const row = out.subarray((t * B + j) * 256, (t * B + j + 1) * 256);
      for (let v = 0; v < 256; v++) expect(row[v]).toBeCloseTo(want[v], 6);
      expect(row.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 5);
    }
}

describe('a trained model as the teacher', () => {
  it("gives each stream the model's distribution after a warm-up, and carries its state on to the next window", () => {
    const t = teacher(), out = new Float32Array(B * T * 256);
    const starts = [0, 300, 700];
    t.fill(Float64Array.from(starts), T, out);
    expectWindow(out, starts, starts);
    const perStep = t.products.n / (TEACHER_WARMUP + T);
    const next = starts.map((p) => p + T);
    t.fill(Float64Array.from(next), T, out);
    expectWindow(out, next, starts); // one long read from each start
    expect(t.products.n).toBe(perStep * (TEACHER_WARMUP + 2 * T)); // and no second warm-up
  });

  it('reads a window once: asked again for the same one, it leaves the targets as they are', () => {
    const t = teacher(), out = new Float32Array(B * T * 256);
    t.fill(Float64Array.from([5, 50, 500]), T, out);
    const products = t.products.n, again = new Float32Array(B * T * 256);
    t.fill(Float64Array.from([5, 50, 500]), T, again);
    expect(again.every((x) => x === 0)).toBe(true);
    expect(t.products.n).toBe(products);
  });

  it('warms up again when the streams are not where it left them, wrapping around the text', () => {
    const t = teacher(), out = new Float32Array(B * T * 256);
    t.fill(Float64Array.from([10, 20, 30]), T, out);
    const moved = [TEXT.length - 3, 100, 400]; // the first wraps past the end
    t.fill(Float64Array.from(moved), T, out);
    expectWindow(out, moved, moved);
  });

  it('refuses weights of another shape and a weight outside (0, 1]', () => {
    const k = jsKernels(new Float32Array(ModelTeacher.floats(CFG, B)));
    expect(() => new ModelTeacher(k, undefined, 0, CFG, WEIGHTS.subarray(1), TEXT, B, ALPHA)).toThrow(/floats/);
    expect(() => new ModelTeacher(k, undefined, 0, CFG, WEIGHTS, TEXT, B, 0)).toThrow(/\(0, 1\]/);
  });
});
