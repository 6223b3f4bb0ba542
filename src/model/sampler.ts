// Turning logits into a byte: repetition penalty, temperature, top-k, top-p, a seeded draw.
// All in float64 over the same fp32 logits, so the same seed picks the same bytes on every backend.
import { Rng } from './random';

export interface SamplingSettings {
  temperature: number; // 0 = greedy
  topK: number; // 0 = off
  topP: number; // 1 = off
  repeatPenalty: number; // 1 = off; applied to bytes seen in the last repeatWindow bytes
  repeatWindow: number;
  seed: number;
}

export const DEFAULT_SAMPLING: SamplingSettings = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  repeatPenalty: 1.05,
  repeatWindow: 64,
  seed: 1,
};

export const SAMPLING_LIMITS = {
  temperature: [0, 5],
  topK: [0, 256],
  topP: [0.01, 1],
  repeatPenalty: [1, 3],
  repeatWindow: [0, 4096],
  seed: [0, 0xffffffff],
} as const;

const INTEGER_KEYS = new Set(['topK', 'repeatWindow', 'seed']);

/** Returns a message naming the first bad setting, or null when all are in range. */
export function samplingError(s: Partial<Record<keyof SamplingSettings, unknown>>): string | null {
  for (const key of Object.keys(SAMPLING_LIMITS) as (keyof SamplingSettings)[]) {
    const v = s[key];
    const [lo, hi] = SAMPLING_LIMITS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (INTEGER_KEYS.has(key) && !Number.isInteger(v)))
      return `${key} must be ${INTEGER_KEYS.has(key) ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${JSON.stringify(v)}`;
  }
  return null;
}

/** log Σ exp(x[i]) over n logits. */
export function logSumExp(x: ArrayLike<number>, off: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i] > max) max = x[off + i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(x[off + i] - max);
  return max + Math.log(sum);
}

/** The model's own distribution (temperature 1, no filters): its entropy in bits, and p(byte). */
export function distributionStats(x: ArrayLike<number>, off: number, n: number, byte: number): { entropyBits: number; prob: number } {
  const lse = logSumExp(x, off, n);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const lp = x[off + i] - lse;
    h -= Math.exp(lp) * lp;
  }
  return { entropyBits: h / Math.LN2, prob: Math.exp(x[off + byte] - lse) };
}

export class Sampler {
  private readonly rng: Rng;
  private readonly recent: Uint8Array; // ring of the last repeatWindow bytes
  private readonly counts = new Uint16Array(256); // how often each byte is in the ring
  private filled = 0;
  private head = 0;
  private readonly scratch = new Float64Array(256);
  private readonly order = new Int32Array(256);

  constructor(private readonly s: SamplingSettings) {
    const err = samplingError(s);
    if (err) throw new RangeError(err);
    this.rng = new Rng(s.seed);
    this.recent = new Uint8Array(Math.max(1, s.repeatWindow));
  }

  /** Remember a byte of context (prompt or generated) for the repetition penalty. */
  observe(byte: number): void {
    if (this.s.repeatWindow === 0) return;
    if (this.filled === this.recent.length) this.counts[this.recent[this.head]]--;
    else this.filled++;
    this.recent[this.head] = byte;
    this.counts[byte]++;
    this.head = (this.head + 1) % this.recent.length;
  }

  /** Picks the next byte from n = 256 logits at x[off ..]. */
  sample(x: ArrayLike<number>, off: number): number {
    const { temperature, topK, topP, repeatPenalty } = this.s;
    const z = this.scratch;
    for (let i = 0; i < 256; i++) {
      const v = x[off + i];
      // CTRL-style penalty: push the logit of every recently seen byte toward less likely.
      z[i] = this.counts[i] > 0 && repeatPenalty !== 1 ? (v > 0 ? v / repeatPenalty : v * repeatPenalty) : v;
    }
    if (temperature === 0) {
      let best = 0;
      for (let i = 1; i < 256; i++) if (z[i] > z[best]) best = i;
      return best;
    }
    let max = -Infinity;
    for (let i = 0; i < 256; i++) if (z[i] > max) max = z[i];
    let total = 0;
    for (let i = 0; i < 256; i++) total += z[i] = Math.exp((z[i] - max) / temperature);
    // Bytes below `floor` together hold at most (1 − topP) of the mass, so the top-p set never
    // reaches them: only the rest need sorting. Ties break by byte value, the same everywhere.
    const floor = ((1 - topP) * total) / 256;
    const ord = this.order;
    let n = 0;
    for (let i = 0; i < 256; i++) if (z[i] >= floor) ord[n++] = i;
    ord.subarray(0, n).sort((a, b) => z[b] - z[a] || a - b);
    const k = Math.min(n, topK > 0 ? topK : 256);
    let keep = 0;
    let mass = 0;
    while (keep < k && (keep === 0 || mass < topP * total)) mass += z[ord[keep++]];
    let u = this.rng.uniform() * mass;
    for (let i = 0; i < keep; i++) {
      u -= z[ord[i]];
      if (u < 0) return ord[i];
    }
    return ord[keep - 1];
  }
}
