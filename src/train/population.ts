// Population steps: low-rank evolution strategies with per-expert credit (after EGGROLL).
//
// The batch's streams come in antithetic pairs (2p, 2p+1) that read the same bytes from the same
// state. Member p perturbs every expert matrix [W b] by ±ε·u vᵀ (u, v: ±1 vectors drawn from
// seeds), + for stream 2p and − for stream 2p+1. A stream never needs its own copy of W: after
// Y = W·X + b the hook adds ±ε·u·(vᵀx + 1), which costs O(rows + cols) per stream. One pass
// therefore evaluates P members × K experts: P·K estimates where an expert step gives K.
// The update is the rank-P sum Σ_p c_pe·u vᵀ per matrix, regenerated from the same seeds.
import type { SomaConfig } from '../model/config';
import type { PerturbHook, PerturbSite } from '../model/forward';
import { Rng } from '../model/random';
import type { WeightLayout } from '../model/weights';

interface Site {
  name: PerturbSite;
  w: number; // offset of experts' W in the weight array: [K, out, cols]
  b: number; // offset of experts' b: [K, out]
  out: number;
  cols: number;
}

const SITE_TENSORS: [PerturbSite, string, string][] = [
  ['l1', 'experts.l1.w', 'experts.l1.b'],
  ['l2', 'experts.l2.w', 'experts.l2.b'],
  ['w1', 'experts.mlp.w1', 'experts.mlp.b1'],
  ['w2', 'experts.mlp.w2', 'experts.mlp.b2'],
];

/** Fills out[0..n) with ±1 from a member's seed for one (step, member, expert, site). */
function signs(stepSeed: number, member: number, e: number, site: number, out: Float32Array, n: number): void {
  const rng = new Rng((Math.imul(stepSeed, 0x9e3779b1) ^ Math.imul(member * 64 + e, 0x85ebca77) ^ Math.imul(site + 1, 0xc2b2ae3d)) >>> 0);
  for (let i = 0; i < n; i += 32) {
    const bits = rng.u32();
    for (let k = 0; k < 32 && i + k < n; k++) out[i + k] = (bits >>> k) & 1 ? 1 : -1;
  }
}

export class Population {
  private readonly sites: Site[];
  private readonly u: Map<PerturbSite, Float32Array>; // [P, K, out] this shard's members
  private readonly v: Map<PerturbSite, Float32Array>; // [P, K, cols]
  private eps = 0;
  private readonly scratch: Float32Array; // one matrix's update
  private readonly su: Float32Array;
  private readonly sv: Float32Array;

  /**
   * @param members this shard's members (its batch / 2)
   * @param firstMember the global index of its first member (shards hold consecutive members)
   */
  constructor(private readonly config: SomaConfig, layout: WeightLayout, private readonly heap: Float32Array, readonly members: number, readonly firstMember: number) {
    const at = (n: string) => layout.byName.get(n)!;
    this.sites = SITE_TENSORS.map(([name, w, b]) => ({ name, w: at(w).offset, b: at(b).offset, out: at(w).shape[1], cols: at(w).shape[2] }));
    const K = config.experts;
    this.u = new Map(this.sites.map((s) => [s.name, new Float32Array(members * K * s.out)]));
    this.v = new Map(this.sites.map((s) => [s.name, new Float32Array(members * K * s.cols)]));
    const biggest = Math.max(...this.sites.map((s) => s.out * s.cols));
    this.scratch = new Float32Array(biggest);
    this.su = new Float32Array(Math.max(...this.sites.map((s) => s.out)));
    this.sv = new Float32Array(Math.max(...this.sites.map((s) => s.cols)));
  }

  /** Draws this shard's members' vectors for a step; the hook then perturbs by ±eps. */
  prepare(stepSeed: number, eps: number): void {
    this.eps = eps;
    const K = this.config.experts;
    this.sites.forEach((s, si) => {
      const u = this.u.get(s.name)!, v = this.v.get(s.name)!;
      for (let p = 0; p < this.members; p++)
        for (let e = 0; e < K; e++) {
          signs(stepSeed, this.firstMember + p, e, si, this.su, s.out);
          u.set(this.su.subarray(0, s.out), (p * K + e) * s.out);
          signs(stepSeed, this.firstMember + p, e, si + 16, this.sv, s.cols);
          v.set(this.sv.subarray(0, s.cols), (p * K + e) * s.cols);
        }
    });
  }

  /** Y[row] += ±ε·u·(vᵀx + 1) for each stream's member: + on even streams, − on odd. */
  readonly hook: PerturbHook = (site, e, y, x, out, cols, firstStream, rows) => {
    const a = this.heap;
    const K = this.config.experts;
    const u = this.u.get(site)!, v = this.v.get(site)!;
    for (let i = 0; i < rows; i++) {
      const j = firstStream + i;
      const p = j >> 1;
      const vo = (p * K + e) * cols, uo = (p * K + e) * out;
      const xo = x + i * cols, yo = y + i * out;
      let d = 1;
      for (let c = 0; c < cols; c++) d += v[vo + c] * a[xo + c];
      d *= j & 1 ? -this.eps : this.eps;
      for (let r = 0; r < out; r++) a[yo + r] += d * u[uo + r];
    }
  };

  /**
   * m ← β·m + Σ_g coef[g·K + e]·[u vᵀ, u] over all members g and experts e; θ ← θ − m, over every
   * perturbed matrix and bias. Every shard regenerates every member's vectors, so all stay equal.
   */
  update(stepSeed: number, coef: Float64Array, totalMembers: number, theta: Float32Array, m: Float32Array, beta: number): void {
    const K = this.config.experts;
    const { su, sv, scratch } = this;
    this.sites.forEach((s, si) => {
      const n = s.out * s.cols;
      for (let e = 0; e < K; e++) {
        const dw = scratch.subarray(0, n);
        dw.fill(0);
        const db = new Float64Array(s.out);
        for (let g = 0; g < totalMembers; g++) {
          const c = coef[g * K + e];
          if (c === 0) continue;
          signs(stepSeed, g, e, si, su, s.out);
          signs(stepSeed, g, e, si + 16, sv, s.cols);
          for (let r = 0; r < s.out; r++) {
            const cu = c * su[r];
            db[r] += cu;
            const row = r * s.cols;
            for (let k = 0; k < s.cols; k++) dw[row + k] += cu * sv[k];
          }
        }
        const w0 = s.w + e * n, b0 = s.b + e * s.out;
        for (let i = 0; i < n; i++) {
          m[w0 + i] = beta * m[w0 + i] + dw[i];
          theta[w0 + i] -= m[w0 + i];
        }
        for (let r = 0; r < s.out; r++) {
          m[b0 + r] = beta * m[b0 + r] + db[r];
          theta[b0 + r] -= m[b0 + r];
        }
      }
    });
  }
}
