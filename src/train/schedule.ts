// One SPSA training step across shards: which weights move, the normalised coefficients, the load
// balancing nudge. No Node APIs: the CLI trainer runs it over threads, a browser could run it too.
import type { FineTuneSettings } from './settings';
import { EXPERT_PHASE_IDS, type ExpertPhase, type PassLoss, type Phase, type Shard, isBlockPhase, onCachedFeatures } from './spsa';

/** The settings of the step itself (settings.ts has what each means, and the defaults). */
export type SpsaSettings = Omit<FineTuneSettings, 'batch' | 'window'>;

/** What persists between steps: counts, and the running mean of ĝ² per estimate slot. */
export interface SpsaState {
  step: number;
  tokens: number; // bytes of training text read
  v: number[]; // slot K: shared; then K slots per phase, at K + 1 + K·(its id in EXPERT_PHASE_IDS)
  n: number[]; // observations per slot, for bias correction
}

/** A shard, here or in another thread: only seeds, phases and scalars go in and out. */
export interface ShardLike {
  evaluate(stepSeed: number, phase: Phase, eps: number): Promise<PassLoss>;
  apply(stepSeed: number, phase: Phase, coef: Float64Array, beta: number, routerDelta: Float64Array): Promise<void>;
}

/** A shard in this thread as a ShardLike: the load-balancing nudge goes with each update. */
export function inThread(shard: Shard): ShardLike {
  return {
    evaluate: async (seed, phase, eps) => shard.evaluate(seed, phase, eps),
    apply: async (seed, phase, coef, beta, routerDelta) => {
      shard.apply(seed, phase, coef, beta);
      shard.nudgeRouter(routerDelta);
    },
  };
}

export function lrAt(cfg: SpsaSettings, step: number): number {
  if (step < cfg.warmup) return (cfg.lr * (step + 1)) / cfg.warmup;
  const t = Math.min(1, (step - cfg.warmup) / Math.max(1, cfg.steps - cfg.warmup));
  return cfg.lr * (0.1 + 0.45 * (1 + Math.cos(Math.PI * t))); // cosine from lr to lr/10
}

const cycleLength = (cfg: SpsaSettings) => 1 + cfg.headRounds + cfg.unitRounds + cfg.rowRounds + cfg.l2Rounds;

/**
 * A cycle is one trunk step (the experts, or every sharedEvery-th time the shared weights) then
 * headRounds head steps, unitRounds unit steps and rowRounds row steps on that window's cached features,
 * then l2Rounds layer-2 unit steps: the first on the same window, each later one on a new window
 * read at θ (they move the features).
 */
export function phaseAt(cfg: SpsaSettings, step: number): Phase {
  const cycle = cycleLength(cfg);
  const trunk = Math.floor(step / cycle);
  const within = step % cycle;
  if (within > cfg.headRounds + cfg.unitRounds + cfg.rowRounds) return 'l2units';
  if (within > cfg.headRounds + cfg.unitRounds) return 'rows';
  if (within > cfg.headRounds) return 'units';
  if (within !== 0) return 'heads';
  return trunk % cfg.sharedEvery === cfg.sharedEvery - 1 ? 'shared' : 'experts';
}

/** Steps at which no head cache is live: stopping and checkpointing there resumes exactly. */
export const betweenCycles = (cfg: SpsaSettings, step: number): boolean => step % cycleLength(cfg) === 0;

export interface StepReport {
  phase: Phase;
  loss: number; // mean nats per byte over both passes
  maxLoad: number; // the busiest expert's share of the bytes
}

export async function spsaStep(cfg: SpsaSettings, state: SpsaState, shards: ShardLike[], K: number): Promise<StepReport> {
  const step = state.step;
  const phase = phaseAt(cfg, step);
  const seed = (Math.imul(cfg.seed, 0x27d4eb2d) ^ Math.imul(step + 1, 0x165667b1)) >>> 0;
  const results = await Promise.all(shards.map((s) => s.evaluate(seed, phase, cfg.eps)));
  const plus = new Float64Array(K), minus = new Float64Array(K), count = new Float64Array(K);
  let bytes = 0, consumed = 0;
  for (const r of results) {
    for (let e = 0; e < K; e++) {
      plus[e] += r.plus[e];
      minus[e] += r.minus[e];
      count[e] += r.count[e];
    }
    bytes += r.bytes;
    consumed += r.consumed;
  }
  const coef = coefficients(cfg, state, phase, results, plus, minus, count, bytes, K);
  // Balancing: raise the score bias of under-loaded experts, lower the over-loaded; once per window.
  const routerDelta = new Float64Array(K);
  let maxLoad = 0;
  for (let e = 0; e < K; e++) {
    const load = count[e] / bytes;
    maxLoad = Math.max(maxLoad, load);
    if (!onCachedFeatures(phase)) routerDelta[e] = cfg.balance * Math.sign(1 / K - load);
  }
  await Promise.all(shards.map((s) => s.apply(seed, phase, coef, cfg.beta, routerDelta)));
  state.step++;
  state.tokens += consumed;
  const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
  return { phase, loss: (sum(plus) + sum(minus)) / (2 * bytes), maxLoad };
}

/** Normalised estimates: ĝ / sqrt(running mean of ĝ²) per slot, times the step size. */
function coefficients(cfg: SpsaSettings, state: SpsaState, phase: Phase, results: PassLoss[], plus: Float64Array, minus: Float64Array, count: Float64Array, bytes: number, K: number): Float64Array {
  const lr = lrAt(cfg, state.step) * (1 - cfg.beta);
  const observe = (slot: number, g2: number) => {
    while (state.v.length <= slot) state.v.push(0), state.n.push(0);
    state.v[slot] = 0.99 * state.v[slot] + 0.01 * g2;
    state.n[slot]++;
    return Math.sqrt(state.v[slot] / (1 - 0.99 ** state.n[slot])); // the bias-corrected RMS
  };
  if (phase === 'shared') {
    const g = (plus.reduce((s, x) => s + x, 0) - minus.reduce((s, x) => s + x, 0)) / (2 * cfg.eps * bytes);
    const rms = observe(K, g * g);
    return Float64Array.of(rms > 0 ? (lr * g) / rms : 0);
  }
  const slot0 = K + 1 + K * EXPERT_PHASE_IDS[phase as ExpertPhase];
  if (isBlockPhase(phase)) {
    // One RMS per expert over all its blocks: blocks with little signal (a rare byte's row) move little.
    const diff = results.map((r) => r.blocks!);
    const N = diff[0].length / K;
    const blockLr = lr * ({ rows: cfg.rowLr, units: cfg.unitLr, l2units: cfg.l2Lr }[phase] / cfg.lr);
    const coef = new Float64Array(K * N);
    for (let e = 0; e < K; e++) {
      if (count[e] === 0) continue;
      let ms = 0;
      for (let j = 0; j < N; j++) {
        let d = 0;
        for (const r of diff) d += r[e * N + j];
        coef[e * N + j] = d / (2 * cfg.eps * count[e]);
        ms += coef[e * N + j] ** 2;
      }
      const rms = observe(slot0 + e, ms / N);
      for (let j = 0; j < N; j++) coef[e * N + j] = rms > 0 ? (blockLr * coef[e * N + j]) / rms : 0;
    }
    return coef;
  }
  const coef = new Float64Array(K);
  for (let e = 0; e < K; e++) {
    if (count[e] === 0) continue; // an expert that decoded nothing learned nothing
    const g = (plus[e] - minus[e]) / (2 * cfg.eps * count[e]);
    const rms = observe(slot0 + e, g * g);
    coef[e] = rms > 0 ? (lr * g) / rms : 0;
  }
  return coef;
}
