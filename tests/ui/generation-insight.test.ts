import { describe, expect, it } from 'vitest';
import type { ByteChunk } from '../../src/engine/protocol';
import { GenerationInsight, RECENT_BYTES } from '../../src/ui/generation-insight';

function chunk(experts: number[], probs = experts.map(() => 0.5), entropy = experts.map((_, i) => i)): ByteChunk {
  const n = experts.length;
  const stats = { generated: n, ms: 1, tokPerSec: 1, msPerTok: 1, contextBytes: n, memoryBytes: 1 };
  return { bytes: new Uint8Array(n), experts: Uint8Array.from(experts), probs: Float32Array.from(probs), entropyBits: Float32Array.from(entropy), stats };
}

describe('what the stats bar shows of a generation', () => {
  it('evenness is 1 for a load spread evenly, 0 when one expert takes every byte', () => {
    const even = new GenerationInsight(4);
    even.add(chunk([0, 1, 2, 3, 0, 1, 2, 3]));
    expect(even.evenness).toBeCloseTo(1, 12);
    expect(even.shares).toEqual([0.25, 0.25, 0.25, 0.25]);
    const one = new GenerationInsight(4);
    one.add(chunk([2, 2, 2]));
    expect(one.evenness).toBe(0);
    expect(new GenerationInsight(4).evenness).toBeNull();
  });

  it('bits is the surprisal −log2 p of the last chosen byte, with the mean over the run', () => {
    const g = new GenerationInsight(2);
    g.add(chunk([0, 1], [0.5, 0.25]));
    expect(g.lastBits).toBeCloseTo(2, 6);
    expect(g.meanBits).toBeCloseTo(1.5, 6);
  });

  it('keeps the entropy of the most recent bytes only, oldest first', () => {
    const g = new GenerationInsight(1);
    g.add(chunk(new Array(RECENT_BYTES).fill(0)));
    g.add(chunk([0, 0, 0], undefined, [100, 101, 102]));
    expect(g.recentEntropy).toHaveLength(RECENT_BYTES);
    expect(g.recentEntropy.slice(-3)).toEqual([100, 101, 102]);
    expect(g.recentEntropy[0]).toBe(3);
  });
});
