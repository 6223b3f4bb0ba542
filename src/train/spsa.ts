// SPSA for SOMA: forward passes only. Perturbations are ±1 (Rademacher) vectors regenerated from
// seeds, never stored; each step evaluates θ+εz and θ−εz on the same bytes from the same state.
// No Node APIs here: the trainer's threads and (later) the browser both run this file.
//
// Two kinds of step alternate:
// - expert steps: the router and embedding are held still and every expert e gets its own
//   perturbation z_e in the same ± pass. With the router fixed, a byte's loss depends only on its
//   winning expert, so the loss difference summed over the bytes expert e decoded is a clean
//   estimate for z_e alone: K estimates per pair of passes ("per-expert credit").
// - shared steps: the embedding and router (everything the experts share) get one perturbation,
//   judged by the total loss.
import type { SomaConfig } from '../model/config';
import { type Elementwise, type Model, type StateLayout, stateLayout, step } from '../model/forward';
import type { Kernels } from '../model/kernels';
import { Rng } from '../model/random';
import { logSumExp } from '../model/sampler';
import { weightLayout, weightOffsets } from '../model/weights';

export type Phase = 'experts' | 'shared';

/** A run of the flat weight array, in floats. */
export interface Slice {
  offset: number;
  size: number;
}

/** Which weights each estimate moves: one group per expert, and the shared group. */
export interface ParamGroups {
  experts: Slice[][]; // experts[e]: expert e's slice of every experts.* tensor
  shared: Slice[]; // embedding and router
}

export function paramGroups(c: SomaConfig): ParamGroups {
  const layout = weightLayout(c);
  const experts: Slice[][] = Array.from({ length: c.experts }, () => []);
  const shared: Slice[] = [];
  for (const t of layout.tensors) {
    if (t.name.startsWith('experts.')) {
      const per = t.size / c.experts;
      for (let e = 0; e < c.experts; e++) experts[e].push({ offset: t.offset + e * per, size: per });
    } else shared.push({ offset: t.offset, size: t.size });
  }
  return { experts, shared };
}

const SHARED_GROUP = 1000; // its seed stream, apart from the experts' 0..K-1

export const groupSize = (g: Slice[]): number => g.reduce((n, s) => n + s.size, 0);

/** The seed of group g's perturbation at a step: distinct streams for every (step, group). */
export const groupSeed = (stepSeed: number, g: number): number => (Math.imul(stepSeed, 0x9e3779b1) ^ Math.imul(g + 1, 0x85ebca77)) >>> 0;

/** out[j] = −log softmax(logits row j)[targets[j]], rows of 256 at heap[logits ..]. */
export type NllRows = (heap: Float32Array, logits: number, rows: number, targets: Uint8Array, out: Float64Array) => void;

const tsNll: NllRows = (heap, logits, rows, targets, out) => {
  for (let j = 0; j < rows; j++) out[j] = logSumExp(heap, logits + j * 256, 256) - heap[logits + j * 256 + targets[j]];
};

/** What a shard computes with: kernels over a heap whose weights start at `base`, and optional faster parts. */
export interface ShardEngine {
  kernels: Kernels;
  base: number;
  elementwise?: Elementwise;
  nll?: NllRows;
}

export interface PassLoss {
  plus: Float64Array; // [K] nats summed over the bytes each expert decoded, at θ+εz
  minus: Float64Array; // [K] the same at θ−εz
  count: Float64Array; // [K] bytes each expert decoded (the router is fixed, so the same in both passes)
  bytes: number;
}

/**
 * One shard of the trainer: B byte streams through a text, a master copy of θ, and the momentum.
 * Every shard applies the same updates, so all copies of θ stay identical; only seeds and
 * scalar losses cross between shards.
 */
export class Shard {
  readonly config: SomaConfig;
  readonly theta: Float32Array; // [P] master weights
  readonly momentum: Float32Array; // [P]
  readonly positions: Float64Array; // [B] where each stream reads next
  private readonly model: Model;
  private readonly s: StateLayout;
  private readonly heap: Float32Array;
  private readonly groups: ParamGroups;
  private readonly z: Float32Array; // [P] this step's perturbation, regenerated from seeds
  private readonly start: Float32Array; // the state at the start of the window
  private readonly endPlus: Float32Array; // the state after the + pass
  private readonly bytes: Uint8Array; // [B] one byte of every stream
  private readonly winners: Int32Array; // [B]
  private zFor = ''; // the step and phase z was last made for

  private readonly nll: NllRows;
  private readonly targets: Uint8Array; // [B] the byte each stream must predict
  private readonly losses: Float64Array; // [B]

  constructor(config: SomaConfig, engine: ShardEngine, theta: Float32Array, private readonly text: Uint8Array, readonly batch: number, readonly window: number, seed: number) {
    this.config = config;
    const layout = weightLayout(config);
    const { kernels, base } = engine;
    this.heap = kernels.heap;
    this.model = { config, kernels, w: weightOffsets(layout, base), elementwise: engine.elementwise };
    this.nll = engine.nll ?? tsNll;
    this.targets = new Uint8Array(batch);
    this.losses = new Float64Array(batch);
    this.s = stateLayout(config, batch, base + layout.total);
    this.theta = theta.slice();
    this.momentum = new Float32Array(theta.length);
    this.groups = paramGroups(config);
    this.z = new Float32Array(theta.length);
    this.start = new Float32Array(this.s.size);
    this.endPlus = new Float32Array(this.s.size);
    this.bytes = new Uint8Array(batch);
    this.winners = new Int32Array(batch);
    this.heap.fill(0, this.s.ur, this.s.ur + this.s.size);
    // Streams start evenly spread through the text, each shifted by a seeded jitter.
    const rng = new Rng(seed);
    this.positions = Float64Array.from({ length: batch }, (_, j) => Math.floor(((j + rng.uniform()) * text.length) / batch));
  }

  /** Heap floats this shard needs: weights, then the state of B streams. */
  static heapFloats(config: SomaConfig, batch: number): number {
    return weightLayout(config).total + stateLayout(config, batch, 0).size;
  }

  private slicesOf(phase: Phase): Slice[][] {
    return phase === 'experts' ? this.groups.experts : [this.groups.shared];
  }

  /** Regenerates z (±1, 32 signs per draw) over the phase's groups; elsewhere z is never read. */
  private makeZ(stepSeed: number, phase: Phase): void {
    if (this.zFor === `${stepSeed}:${phase}`) return;
    this.slicesOf(phase).forEach((group, g) => {
      const rng = new Rng(groupSeed(stepSeed, phase === 'experts' ? g : SHARED_GROUP));
      let bits = 0;
      let left = 0;
      for (const s of group)
        for (let i = s.offset; i < s.offset + s.size; i++) {
          if (left === 0) {
            bits = rng.u32();
            left = 32;
          }
          this.z[i] = bits & 1 ? 1 : -1;
          bits >>>= 1;
          left--;
        }
    });
    this.zFor = `${stepSeed}:${phase}`;
  }

  /** Writes θ + scale·z into the heap over the phase's groups, and θ elsewhere. */
  private loadWeights(phase: Phase, scale: number): void {
    const base = this.model.w.embed; // the weights start at the embedding
    this.heap.set(this.theta, base);
    for (const group of this.slicesOf(phase))
      for (const s of group) for (let i = s.offset; i < s.offset + s.size; i++) this.heap[base + i] = this.theta[i] + scale * this.z[i];
  }

  /** Runs every stream through the next window, summing each byte's loss into its winner's slot. */
  private pass(into: Float64Array, count: Float64Array | null): void {
    const { s, heap, text, bytes, winners, targets, losses } = this;
    for (let t = 0; t < this.window; t++) {
      for (let j = 0; j < this.batch; j++) {
        bytes[j] = text[(this.positions[j] + t) % text.length];
        targets[j] = text[(this.positions[j] + t + 1) % text.length];
      }
      step(this.model, s, bytes, winners);
      this.nll(heap, s.logits, this.batch, targets, losses);
      for (let j = 0; j < this.batch; j++) {
        into[winners[j]] += losses[j];
        if (count) count[winners[j]]++;
      }
    }
  }

  /** The ± pair for one step. The streams then move on by one window. */
  evaluate(stepSeed: number, phase: Phase, eps: number): PassLoss {
    const K = this.config.experts;
    const { s, heap } = this;
    const out: PassLoss = { plus: new Float64Array(K), minus: new Float64Array(K), count: new Float64Array(K), bytes: this.batch * this.window };
    this.makeZ(stepSeed, phase);
    this.start.set(heap.subarray(s.ur, s.ur + s.size));
    this.loadWeights(phase, eps);
    this.pass(out.plus, out.count);
    this.endPlus.set(heap.subarray(s.ur, s.ur + s.size));
    heap.set(this.start, s.ur);
    this.loadWeights(phase, -eps);
    this.pass(out.minus, null);
    // Carry on from the mean of the two end states: close to the state under θ itself.
    for (let i = 0; i < s.size; i++) heap[s.ur + i] = 0.5 * (heap[s.ur + i] + this.endPlus[i]);
    for (let j = 0; j < this.batch; j++) this.positions[j] = (this.positions[j] + this.window) % this.text.length;
    return out;
  }

  /**
   * Applies coefficients (one per group of the phase) along the step's z, with momentum:
   * m ← β·m + coef_g·z_g over the phase's groups;  θ ← θ − m (everywhere m is nonzero).
   */
  apply(stepSeed: number, phase: Phase, coef: Float64Array, beta: number): void {
    this.makeZ(stepSeed, phase);
    const { theta, momentum: m, z } = this;
    this.slicesOf(phase).forEach((group, g) => {
      const c = coef[g];
      for (const s of group)
        for (let i = s.offset; i < s.offset + s.size; i++) {
          m[i] = beta * m[i] + c * z[i];
          theta[i] -= m[i];
        }
    });
  }

  /** Adds to the router's score biases: the load-balancing nudge. */
  nudgeRouter(delta: Float64Array): void {
    const b = weightLayout(this.config).byName.get('router.head.b')!.offset;
    for (let e = 0; e < delta.length; e++) this.theta[b + e] += delta[e];
  }

  /** The streams' recurrent state and positions, for an exact resume. */
  snapshot(): { state: Float32Array; positions: Float64Array } {
    return { state: this.heap.slice(this.s.ur, this.s.ur + this.s.size), positions: this.positions.slice() };
  }

  restore(x: { state: Float32Array; positions: Float64Array; theta: Float32Array; momentum: Float32Array }): void {
    this.heap.set(x.state, this.s.ur);
    this.positions.set(x.positions);
    this.theta.set(x.theta);
    this.momentum.set(x.momentum);
  }
}
