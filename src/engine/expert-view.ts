// What each expert does over a text: its share of the bytes, the bytes it wins most often, and a
// few places where it won. The engine tallies it while scoring; no DOM here.
import type { ExpertSummary, ExpertView } from './protocol';

const TOP = 5;
const CONTEXTS = 3;
const CONTEXT_BEFORE = 24;
const CONTEXT_AFTER = 8;
const CONTEXT_GAP = 256; // contexts of one expert are taken at least this far apart

export class ExpertTally {
  private readonly counts: Uint32Array; // [K, 256]
  private readonly bits: Float64Array; // [K]
  private readonly wins: Float64Array; // [K]
  private readonly at: number[][]; // [K] positions of the kept contexts
  private total = 0;

  constructor(private readonly experts: number) {
    this.counts = new Uint32Array(experts * 256);
    this.bits = new Float64Array(experts);
    this.wins = new Float64Array(experts);
    this.at = Array.from({ length: experts }, () => []);
  }

  /** Byte i of the text was scored by `expert` at `bits` of surprisal. */
  add(i: number, byte: number, expert: number, bits: number): void {
    this.counts[expert * 256 + byte]++;
    this.bits[expert] += bits;
    this.wins[expert]++;
    this.total++;
    const kept = this.at[expert];
    if (kept.length < CONTEXTS && (kept.length === 0 || i - kept[kept.length - 1] >= CONTEXT_GAP)) kept.push(i);
  }

  summary(text: Uint8Array): ExpertView {
    const experts: ExpertSummary[] = [];
    for (let e = 0; e < this.experts; e++) {
      const row = this.counts.subarray(e * 256, (e + 1) * 256);
      const topBytes = Array.from(row, (count, byte) => ({ byte, count }))
        .filter((b) => b.count > 0)
        .sort((a, b) => b.count - a.count || a.byte - b.byte)
        .slice(0, TOP);
      const contexts = this.at[e].map((i) => ({
        before: text.slice(Math.max(0, i - CONTEXT_BEFORE), i),
        byte: text[i],
        after: text.slice(i + 1, i + 1 + CONTEXT_AFTER),
      }));
      const wins = this.wins[e];
      experts.push({ wins, share: this.total ? wins / this.total : 0, meanBits: wins ? this.bits[e] / wins : 0, topBytes, contexts });
    }
    return { bytes: this.total, experts };
  }
}
