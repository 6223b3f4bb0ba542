// SPSA for SOMA: forward passes only. Perturbations are ±1 (Rademacher) vectors regenerated from
// seeds, never stored; each step evaluates θ+εz and θ−εz on the same bytes from the same state.
// No Node APIs here: the trainer's threads and the browser's Teach it both run this file.
//
// The kinds of step:
// - expert steps: the router and embedding are held still and every expert e gets its own
//   perturbation z_e in the same ± pass. With the router fixed, a byte's loss depends only on its
//   winning expert, so the loss difference summed over the bytes expert e decoded is a clean
//   estimate for z_e alone: K estimates per pair of passes ("per-expert credit").
// - shared steps: the embedding and router (everything the experts share) get one perturbation,
//   judged by the total loss.
// - steps on cached features (cached-features.ts): only the decoders move, so the LSTM features of
//   a window are computed once at θ and kept:
//   - head steps: a decoder's weights perturbed at once, per-expert credit as in expert steps;
//   - block steps: each row of a decoder matrix with its bias perturbed alone, the perturbed
//     model's exact loss following from the one pass at θ: row steps (output row v, [W2[v,:], b2[v]],
//     V·K estimates per pass, each over M + 1 weights) and unit steps (hidden unit u,
//     [W1[u,:], b1[u]], M·K estimates per pass, each over D + 1 weights; D the decoder's input width).
// - layer-2 unit steps (layer2-units.ts; a layer 2 with the element-wise recurrence): each unit's
//   gate weights perturbed alone, its exact ± losses from the same window's cached layer-1 outputs,
//   H·K estimates per pass, each over 4H + 8 weights. They move the features, so they come last.
import { type SomaConfig, decoderWidth } from '../model/config';
import { type Elementwise, type Model, type StateLayout, stateLayout, step } from '../model/forward';
import type { Kernels } from '../model/kernels';
import { Rng } from '../model/random';
import { weightLayout, weightOffsets } from '../model/weights';
import { CachedFeatures } from './cached-features';
import { type Layer2Diffs, Layer2Units, applyLayer2Units } from './layer2-units';
import { type NllRows, type RowDiffs, type UnitDiffs, tsNll, tsRowDiffs, tsUnitDiffs } from './losses';

/** Which weights a step perturbs: every expert's whole set, the decoders, or the shared weights. */
export type Phase = 'experts' | 'heads' | 'shared' | BlockPhase;
/** The phases whose estimates are per block: one row of a decoder matrix with its bias, or one unit of layer 2. */
export type BlockPhase = DecoderBlockPhase | 'l2units';
export type DecoderBlockPhase = 'rows' | 'units';
export const isBlockPhase = (p: Phase): p is BlockPhase => p === 'rows' || p === 'units' || p === 'l2units';
/** The phases that step on a window's cached features: they read no new bytes while the cache is valid (l2units then moves the features). */
export const onCachedFeatures = (p: Phase): boolean => p === 'heads' || isBlockPhase(p);
/**
 * The phases whose groups are per expert (credit per expert), each with a fixed id: it picks the
 * phase's seed streams and its optimiser slots in a saved trainer state, so ids are never reused
 * (2 to 4 were layer-wise and population steps, measured as losers and removed).
 */
export const EXPERT_PHASE_IDS = { experts: 0, heads: 1, rows: 5, units: 6, l2units: 7 } as const;
export type ExpertPhase = keyof typeof EXPERT_PHASE_IDS;

/** A run of the flat weight array, in floats. */
export interface Slice {
  offset: number;
  size: number;
}

/** Which weights each estimate moves: one group per expert, and the shared group. */
export interface ParamGroups {
  experts: Slice[][]; // experts[e]: expert e's slice of every experts.* tensor
  heads: Slice[][]; // heads[e]: expert e's decoder (experts.mlp.*)
  rows: Slice[][]; // rows[e]: expert e's output layer, [W2 (V×M), b2 (V)]; row steps perturb each row apart
  units: Slice[][]; // units[e]: expert e's hidden layer, [W1 (M×D), b1 (M)]; unit steps perturb each row apart
  l2units: Slice[][]; // l2units[e]: expert e's layer 2, [W (4H×H), r (4H), b (4H)] when its recurrence is 'unit', else empty
  shared: Slice[]; // embedding and router
}

export function paramGroups(c: SomaConfig): ParamGroups {
  const layout = weightLayout(c);
  const perExpert = () => Array.from({ length: c.experts }, (): Slice[] => []);
  const g = { experts: perExpert(), heads: perExpert(), rows: perExpert(), units: perExpert(), l2units: perExpert(), shared: [] as Slice[] };
  const layer2Units = c.layer2Recurrence === 'unit';
  for (const t of layout.tensors) {
    if (t.group === 'shared') {
      g.shared.push({ offset: t.offset, size: t.size });
      continue;
    }
    const per = t.size / c.experts; // every expert tensor is [K, ...]
    const block = t.group === 'decoder.output' ? g.rows : t.group === 'decoder.hidden' ? g.units : null;
    for (let e = 0; e < c.experts; e++) {
      const slice = { offset: t.offset + e * per, size: per };
      g.experts[e].push(slice);
      if (block) g.heads[e].push(slice), block[e].push(slice);
      if (layer2Units && (t.key === 'l2W' || t.key === 'l2R' || t.key === 'l2B')) g.l2units[e].push(slice);
    }
  }
  return g;
}

// Seed streams: GROUP_BASE · (the phase's id) + expert; the shared group apart.
const GROUP_BASE = 1000;
const SHARED_GROUP = 999;

/** The seed of group g's perturbation at a step: distinct streams for every (step, group). */
export const groupSeed = (stepSeed: number, g: number): number => (Math.imul(stepSeed, 0x9e3779b1) ^ Math.imul(g + 1, 0x85ebca77)) >>> 0;

/**
 * Writes the soft targets (losses.ts: w over the 256 bytes) of a window of B streams × T bytes into
 * out: row t·B + j is for text[(positions[j] + t + 1) mod length], the byte after stream j's t-th. A
 * teacher (teacher.ts, model-teacher.ts) and its weight.
 */
export type SoftTargets = (positions: Float64Array, window: number, out: Float32Array) => void;

/** What a shard computes with: kernels over a heap whose weights start at `base`, and optional faster parts. */
export interface ShardEngine {
  kernels: Kernels;
  base: number;
  elementwise?: Elementwise;
  nll?: NllRows;
  rowDiffs?: RowDiffs;
  unitDiffs?: UnitDiffs;
  l2UnitDiffs?: Layer2Diffs;
}

export interface PassLoss {
  plus: Float64Array; // [K] nats summed over the bytes each expert decoded, at θ+εz
  minus: Float64Array; // [K] the same at θ−εz
  count: Float64Array; // [K] bytes each expert decoded (the router is fixed, so the same in both passes)
  bytes: number; // bytes scored in each pass
  consumed: number; // new bytes of training text read by this step
  blocks?: Float64Array; // block steps: [K, N] loss(+) − loss(−) over expert e's bytes, block j perturbed alone
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
  private readonly cached: CachedFeatures; // the head and block steps' window of decoder inputs
  private readonly layer2: Layer2Units | null; // the same window's layer-1 outputs, for layer-2 unit steps

  private readonly nll: NllRows;
  private readonly rowDiffs: RowDiffs;
  private readonly unitDiffs: UnitDiffs;
  private readonly targets: Uint8Array; // [B] the byte each stream must predict
  private readonly soft: Float32Array | null; // [T·B, 256] the window's soft targets, row t·B + j, or null for hard targets
  private readonly losses: Float64Array; // [B]

  constructor(
    config: SomaConfig,
    engine: ShardEngine,
    theta: Float32Array,
    private readonly text: Uint8Array,
    readonly batch: number,
    readonly window: number,
    seed: number,
    private readonly softTargets?: SoftTargets,
    layer2UnitsPerRound = Infinity, // layer-2 unit steps: units of each expert per round (all, or a window)
  ) {
    this.config = config;
    const layout = weightLayout(config);
    const { kernels, base } = engine;
    this.heap = kernels.heap;
    this.model = { config, kernels, w: weightOffsets(layout, base), elementwise: engine.elementwise };
    this.nll = engine.nll ?? tsNll;
    this.rowDiffs = engine.rowDiffs ?? tsRowDiffs;
    this.unitDiffs = engine.unitDiffs ?? tsUnitDiffs;
    this.targets = new Uint8Array(batch);
    this.soft = softTargets ? new Float32Array(batch * window * 256) : null;
    this.losses = new Float64Array(batch);
    this.s = stateLayout(config, batch, base + layout.total);
    this.theta = theta.slice();
    this.momentum = new Float32Array(theta.length);
    this.groups = paramGroups(config);
    this.z = new Float32Array(theta.length);
    this.cached = new CachedFeatures(this.model, { nll: this.nll, rowDiffs: this.rowDiffs, unitDiffs: this.unitDiffs }, batch * window, this.s.ur + this.s.size);
    const layer2At = this.s.ur + this.s.size + CachedFeatures.floats(config, batch * window);
    this.layer2 = config.layer2Recurrence === 'unit' ? new Layer2Units(this.model, this.nll, batch, window, layer2At, !!softTargets, layer2UnitsPerRound, engine.l2UnitDiffs) : null;
    this.start = new Float32Array(this.s.size);
    this.endPlus = new Float32Array(this.s.size);
    this.bytes = new Uint8Array(batch);
    this.winners = new Int32Array(batch);
    this.heap.fill(0, this.s.ur, this.s.ur + this.s.size);
    // Streams start evenly spread through the text, each shifted by a seeded jitter.
    const rng = new Rng(seed);
    this.positions = Float64Array.from({ length: batch }, (_, j) => Math.floor(((j + rng.uniform()) * text.length) / batch));
  }

  /** Heap floats this shard needs: weights, the state of B streams, and the block steps' caches. */
  static heapFloats(config: SomaConfig, batch: number, window: number): number {
    return weightLayout(config).total + stateLayout(config, batch, 0).size + CachedFeatures.floats(config, batch * window) + Layer2Units.floats(config, batch, window);
  }

  private slicesOf(phase: Phase): Slice[][] {
    return phase === 'shared' ? [this.groups.shared] : this.groups[phase];
  }

  private seedOf(phase: Phase, g: number): number {
    return phase === 'shared' ? SHARED_GROUP : GROUP_BASE * EXPERT_PHASE_IDS[phase] + g;
  }

  /** Regenerates z (±1, 32 signs per draw) over the phase's groups; elsewhere z is never read. */
  private makeZ(stepSeed: number, phase: Phase): void {
    if (this.zFor === `${stepSeed}:${phase}`) return;
    this.slicesOf(phase).forEach((group, g) => {
      const rng = new Rng(groupSeed(stepSeed, this.seedOf(phase, g)));
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
    if (scale === 0) return; // θ itself: every block step starts here
    for (const group of this.slicesOf(phase))
      for (const s of group) for (let i = s.offset; i < s.offset + s.size; i++) this.heap[base + i] = this.theta[i] + scale * this.z[i];
  }

  /**
   * Steps every stream through the next window at the weights in the heap: after each byte t,
   * `after(t)` sees this.winners and this.targets (the byte each stream must predict).
   */
  private readWindow(after: (t: number) => void): void {
    const { s, text, bytes, winners, targets } = this;
    for (let t = 0; t < this.window; t++) {
      for (let j = 0; j < this.batch; j++) {
        bytes[j] = text[(this.positions[j] + t) % text.length];
        targets[j] = text[(this.positions[j] + t + 1) % text.length];
      }
      step(this.model, s, bytes, winners);
      after(t);
    }
  }

  /** The soft targets of the next window's bytes, when the shard has a teacher. */
  private teach(): void {
    if (this.softTargets && this.soft) this.softTargets(this.positions, this.window, this.soft);
  }

  /** Moves every stream on by one window. */
  private advance(): void {
    for (let j = 0; j < this.batch; j++) this.positions[j] = (this.positions[j] + this.window) % this.text.length;
  }

  /** Runs every stream through the next window, summing each byte's loss into its winner's slot. */
  private pass(into: Float64Array, count: Float64Array | null): void {
    const { s, heap, winners, targets, losses, soft, batch } = this;
    this.readWindow((t) => {
      this.nll(heap, s.logits, batch, targets, losses, soft?.subarray(t * batch * 256, (t + 1) * batch * 256));
      for (let j = 0; j < this.batch; j++) {
        into[winners[j]] += losses[j];
        if (count) count[winners[j]]++;
      }
    });
  }

  /** Reads the next window at θ itself into the cache; returns the bytes of text it read. */
  private readIntoCache(): number {
    const { s, heap, winners } = this;
    const D = decoderWidth(this.config);
    const rows = this.batch * this.window;
    const dec = new Float32Array(rows * D);
    const win = new Int32Array(rows);
    const tgt = new Uint8Array(rows);
    this.teach();
    this.loadWeights('heads', 0);
    this.layer2?.begin(s);
    this.readWindow((t) => {
      for (let j = 0; j < this.batch; j++) {
        const r = t * this.batch + j;
        win[r] = winners[j];
        tgt[r] = this.targets[j];
        dec.set(heap.subarray(s.dec + j * D, s.dec + (j + 1) * D), r * D);
      }
      this.layer2?.record(t, s, winners);
    });
    this.advance();
    this.cached.store(win, tgt, dec, this.soft);
    this.layer2?.store(win);
    return rows;
  }

  /** The ± pair for one step. Expert and shared steps then move the streams on by one window. */
  evaluate(stepSeed: number, phase: Phase, eps: number): PassLoss {
    if (phase === 'heads' || isBlockPhase(phase)) {
      if (phase === 'l2units' && !this.layer2) throw new Error("layer-2 unit steps need a layer 2 with the element-wise recurrence (layer2Recurrence 'unit')");
      const consumed = this.cached.valid ? 0 : this.readIntoCache();
      this.makeZ(stepSeed, phase);
      let out: PassLoss;
      if (phase === 'heads') out = this.cached.headStep((scale) => this.loadWeights('heads', scale), eps);
      else {
        this.loadWeights('heads', 0); // block steps compute every perturbed loss from θ
        out = phase === 'l2units' ? this.layer2!.step(this.cached, this.groups.l2units, this.z, eps, stepSeed) : this.cached.blockStep(phase, this.groups[phase], this.z, this.theta, eps);
      }
      return { ...out, consumed };
    }
    const K = this.config.experts;
    const { s, heap } = this;
    const out: PassLoss = { plus: new Float64Array(K), minus: new Float64Array(K), count: new Float64Array(K), bytes: this.batch * this.window, consumed: this.batch * this.window };
    this.makeZ(stepSeed, phase);
    this.teach();
    this.start.set(heap.subarray(s.ur, s.ur + s.size));
    this.loadWeights(phase, eps);
    this.pass(out.plus, out.count);
    this.endPlus.set(heap.subarray(s.ur, s.ur + s.size));
    heap.set(this.start, s.ur);
    this.loadWeights(phase, -eps);
    this.pass(out.minus, null);
    // Carry on from the mean of the two end states: close to the state under θ itself.
    for (let i = 0; i < s.size; i++) heap[s.ur + i] = 0.5 * (heap[s.ur + i] + this.endPlus[i]);
    this.advance();
    return out;
  }

  /**
   * Applies coefficients (one per group of the phase) along the step's z, with momentum:
   * m ← β·m + coef_g·z_g over the phase's groups;  θ ← θ − m (everywhere m is nonzero).
   * Block steps have a coefficient per block: coef[e·N + j] along block j of expert e.
   */
  apply(stepSeed: number, phase: Phase, coef: Float64Array, beta: number): void {
    if (!onCachedFeatures(phase) || phase === 'l2units') this.cached.valid = false; // the features moved
    if (phase === 'l2units') {
      this.makeZ(stepSeed, phase);
      applyLayer2Units(this.groups.l2units, this.config.expertHidden, this.layer2!.unitsAt(stepSeed), coef, (from, to, c) => this.move(from, to, c, beta));
      return;
    }
    if (isBlockPhase(phase)) {
      this.makeZ(stepSeed, phase);
      this.groups[phase].forEach(([W, b], e) => {
        const N = b.size, C = W.size / N;
        for (let j = 0; j < N; j++) {
          this.move(W.offset + j * C, W.offset + (j + 1) * C, coef[e * N + j], beta);
          this.move(b.offset + j, b.offset + j + 1, coef[e * N + j], beta);
        }
      });
      return;
    }
    this.makeZ(stepSeed, phase);
    this.slicesOf(phase).forEach((group, g) => {
      for (const s of group) this.move(s.offset, s.offset + s.size, coef[g], beta);
    });
  }

  /** m ← β·m + c·z;  θ ← θ − m over weights [from, to). */
  private move(from: number, to: number, c: number, beta: number): void {
    const { theta, momentum: m, z } = this;
    for (let i = from; i < to; i++) {
      m[i] = beta * m[i] + c * z[i];
      theta[i] -= m[i];
    }
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
