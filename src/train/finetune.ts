// Fine-tuning a loaded model on a user's own text: the same SPSA step as the trainer (Shard +
// spsaStep), forward passes only, with settings for small texts. The engine (src/engine/local-engine.ts)
// and `soma tune` (src/cli/tune.ts) both run this loop; they differ only in the kernels they give it
// and in how they yield. No Node or DOM APIs here.
import type { SomaConfig } from '../model/config';
import type { Provenance } from '../model/format';
import { countChars } from '../model/utf8';
import { Shard, type ShardEngine } from './spsa';
import { type SpsaState, type StepReport, type ShardLike, inThread, spsaStep } from './schedule';
import { FINETUNE_DEFAULTS, type FineTuneSettings } from './settings';

/** Text a fine-tune accepts: enough for a held-out part, little enough that scoring it stays quick. */
export const FINETUNE_MIN_BYTES = 200;
export const FINETUNE_MAX_BYTES = 512 * 1024;

export function fineTuneTextError(bytes: number): string | null {
  if (bytes < FINETUNE_MIN_BYTES) return `the text is ${bytes} bytes: fine-tuning needs at least ${FINETUNE_MIN_BYTES}`;
  if (bytes > FINETUNE_MAX_BYTES) return `the text is ${bytes} bytes: fine-tuning takes at most ${FINETUNE_MAX_BYTES}`;
  return null;
}

/** The first 90% is trained on (read cyclically by the shard); the last 10% is held out. */
export function splitText(text: Uint8Array): { train: Uint8Array; held: Uint8Array } {
  const cut = Math.floor(text.length * 0.9);
  return { train: text.subarray(0, cut), held: text.subarray(cut) };
}

/** What scores the held-out part: a Session (src/engine/session.ts) over its own kernels. */
export interface HeldOutScorer {
  setWeights(weights: Float32Array): void;
  reset(): void;
  score(bytes: Uint8Array): number; // total nats
}

export interface FineTuneProgress {
  step: number;
  tokens: number; // bytes of training text read
  seconds: number; // time spent stepping (evaluation excluded)
  trainLoss: number; // running mean nats/byte of the ± passes
  before: number; // held-out nats/char of the starting weights
  now: number; // held-out nats/char at the last evaluation
}

export interface RunOptions {
  budgetMs?: number; // stop after this much stepping time in this call
  shouldStop?: () => boolean; // checked between slices: a pause
  sliceMs?: number; // step for this long between yields (default 50)
  yieldTo?: () => Promise<void>; // lets a worker see messages between slices
  evalEveryMs?: number; // re-score the held-out part this often (default: only at the end)
  onProgress?: (p: FineTuneProgress) => void; // after every evaluation
}

/**
 * One fine-tune: a shard over the training part, starting from the given weights, and a Session
 * (over its own kernels) that scores the held-out part at the current θ. Runs may be stopped and
 * resumed any number of times; θ, momentum and the optimiser's statistics carry on.
 */
export class FineTune {
  readonly train: Uint8Array;
  readonly held: Uint8Array;
  readonly state: SpsaState = { step: 0, tokens: 0, v: [], n: [] };
  readonly progress: FineTuneProgress;
  private readonly shard: Shard;
  private readonly handle: ShardLike;
  private readonly heldChars: number;

  /** Heap floats the shard's kernels need. */
  static shardFloats(config: SomaConfig, s: FineTuneSettings = FINETUNE_DEFAULTS): number {
    return Shard.heapFloats(config, s.batch, s.window);
  }

  constructor(
    readonly config: SomaConfig,
    weights: Float32Array,
    text: Uint8Array,
    engine: ShardEngine,
    private readonly scorer: HeldOutScorer,
    readonly settings: FineTuneSettings = FINETUNE_DEFAULTS,
  ) {
    const err = fineTuneTextError(text.length);
    if (err) throw new RangeError(err);
    ({ train: this.train, held: this.held } = splitText(text.slice()));
    this.heldChars = countChars(this.held);
    this.shard = new Shard(config, engine, weights, this.train, settings.batch, settings.window, settings.seed);
    this.handle = inThread(this.shard);
    const before = this.heldOut();
    this.progress = { step: 0, tokens: 0, seconds: 0, trainLoss: NaN, before, now: before };
  }

  /** The current weights (the shard's master copy; copy it to keep it). */
  get theta(): Float32Array {
    return this.shard.theta;
  }

  /** Held-out nats/char at the current θ, from a fresh state, as `soma score` counts it. */
  heldOut(): number {
    this.scorer.setWeights(this.shard.theta);
    this.scorer.reset();
    return this.scorer.score(this.held) / this.heldChars;
  }

  /** One SPSA step: the trainer's own. */
  async step(): Promise<StepReport> {
    const r = await spsaStep(this.settings, this.state, [this.handle], this.config.experts);
    const p = this.progress;
    p.step = this.state.step;
    p.tokens = this.state.tokens;
    p.trainLoss = Number.isNaN(p.trainLoss) ? r.loss : 0.98 * p.trainLoss + 0.02 * r.loss;
    return r;
  }

  /**
   * Steps until the budget is spent or shouldStop() says so, scoring the held-out part every
   * evalEveryMs and once at the end. Returns why it ended.
   */
  async run(o: RunOptions = {}): Promise<'budget' | 'stopped'> {
    const sliceMs = o.sliceMs ?? 50;
    const budget = o.budgetMs ?? Infinity;
    let spent = 0;
    let sinceEval = 0;
    let why: 'budget' | 'stopped' = 'budget';
    for (;;) {
      if (o.shouldStop?.()) {
        why = 'stopped';
        break;
      }
      if (spent >= budget) break;
      const t0 = performance.now();
      do await this.step();
      while (performance.now() - t0 < Math.min(sliceMs, budget - spent));
      const dt = performance.now() - t0;
      spent += dt;
      sinceEval += dt;
      this.progress.seconds += dt / 1000;
      if (o.evalEveryMs !== undefined && sinceEval >= o.evalEveryMs) {
        sinceEval = 0;
        this.progress.now = this.heldOut();
        o.onProgress?.({ ...this.progress });
      }
      if (o.yieldTo) await o.yieldTo();
    }
    this.progress.now = this.heldOut();
    o.onProgress?.({ ...this.progress });
    return why;
  }

  /** What the tuned soma.bin says about itself. */
  provenance(original: Provenance, where: string): Provenance {
    const p = this.progress;
    const s = this.settings;
    return {
      trained: true,
      method:
        `fine-tuned ${where} with SPSA (forward passes only: the trainer's step, src/train/finetune.ts) on ${this.train.length + this.held.length} bytes of user text ` +
        `(the first ${this.train.length} trained on, the last ${this.held.length} held out), starting from: ${original.method}`,
      steps: p.step,
      tokens: p.tokens,
      corpus: `user text, ${this.train.length + this.held.length} bytes`,
      valNatsPerChar: { 'held-out before': Number(p.before.toFixed(4)), 'held-out after': Number(p.now.toFixed(4)) },
      seed: s.seed,
      notes: `held-out nats/char ${p.before.toFixed(4)} -> ${p.now.toFixed(4)} after ${p.step} steps (${p.seconds.toFixed(0)} s); lr ${s.lr}, eps ${s.eps}, batch ${s.batch}x${s.window}; per trunk step ${s.headRounds} head, ${s.unitRounds} unit (lr ${s.unitLr}) and ${s.rowRounds} row steps (lr ${s.rowLr}). Original: ${original.steps} steps, ${original.tokens} bytes of ${original.corpus ?? 'no corpus'}.`,
      created: new Date().toISOString().slice(0, 10),
      finetunedFrom: { steps: original.steps, tokens: original.tokens, corpus: original.corpus, valNatsPerChar: original.valNatsPerChar },
    };
  }
}
