// Every setting of an SPSA run, in one table: what it means, its bounds, and its default for the
// trainer (`soma train`) and for a fine-tune on a user's text (Teach it, `soma tune`). The defaults,
// the trainer's flags and its usage text are all derived from here. No Node APIs.

interface SettingSpec {
  help: string;
  train: number; // the trainer's default
  tune?: number; // the fine-tune's default, for the settings a fine-tune has
  min: number; // the smallest value allowed (0 where none of a kind is allowed)
  max: number;
  integer?: boolean;
}

const NO_MAX = 1e9;

/**
 * Fine-tunes read small texts: 16 streams × 64 bytes per step (half the trainer's; on a 50 KB
 * play 8 × 32 learned less in 60 s, 32 × 64 about the same), the trainer's block-wise decoder steps
 * (8 row and 2 unit steps on each window's cached features, their lr as the trainer's: a row lr of
 * 1e-2 or 5e-3 learned less), no head steps (8 of them beside the block steps learned less), trunk lr 5e-4 held
 * nearly flat (2e-3 learned less), and no load balancing (a fine-tune keeps the router it was given).
 * The trials behind these are in docs/teach.md.
 */
export const SETTINGS = {
  batch: { help: 'byte streams per shard', train: 32, tune: 16, min: 1, max: 4096, integer: true },
  window: { help: 'bytes per stream per step', train: 64, tune: 64, min: 1, max: 65_536, integer: true },
  steps: { help: "the schedule's length (lr decays over it)", train: 200_000, tune: 1_000_000, min: 1, max: NO_MAX, integer: true },
  lr: { help: 'per-weight step size (updates are normalised)', train: 2e-3, tune: 5e-4, min: Number.MIN_VALUE, max: NO_MAX },
  eps: { help: 'perturbation size', train: 1e-3, tune: 1e-3, min: Number.MIN_VALUE, max: NO_MAX },
  beta: { help: 'momentum', train: 0.9, tune: 0.9, min: 0, max: 0.999 },
  sharedEvery: { help: 'every Nth trunk step moves the embedding and router instead of the experts', train: 4, tune: 4, min: 1, max: NO_MAX, integer: true },
  headRounds: { help: 'head steps (decoders only, on cached features) after each trunk step', train: 0, tune: 0, min: 0, max: NO_MAX, integer: true },
  unitRounds: { help: 'unit steps (each decoder hidden unit perturbed apart, on cached features) after those', train: 2, tune: 2, min: 0, max: NO_MAX, integer: true },
  unitLr: { help: "the unit steps' initial step size", train: 5e-4, tune: 5e-4, min: Number.MIN_VALUE, max: NO_MAX },
  rowRounds: { help: 'row steps (each decoder output row perturbed apart, on cached features) after those', train: 8, tune: 8, min: 0, max: NO_MAX, integer: true },
  rowLr: { help: "the row steps' initial step size", train: 3e-3, tune: 3e-3, min: Number.MIN_VALUE, max: NO_MAX },
  l2Rounds: { help: "layer-2 unit steps (each unit's gate weights perturbed apart, on cached layer-1 outputs; layer2Recurrence 'unit' only) after those", train: 0, tune: 0, min: 0, max: NO_MAX, integer: true },
  l2Units: { help: 'units of each expert the layer-2 unit steps estimate per round (consecutive, from a seeded offset; at most H: 32 is all of the default model, which learned more than 8 in docs/training.md)', train: 32, min: 1, max: NO_MAX, integer: true },
  l2Lr: { help: "the layer-2 unit steps' initial step size", train: 2e-3, tune: 2e-3, min: Number.MIN_VALUE, max: NO_MAX },
  teacherWeight: { help: "α: the weight of a byte 5-gram teacher's soft targets in the loss (teacher.ts; 0: the next byte alone)", train: 0, min: 0, max: 1 },
  balance: { help: 'router-bias nudge toward equal expert load, per trunk step', train: 2e-3, tune: 0, min: 0, max: NO_MAX },
  warmup: { help: 'steps of linear lr warm-up', train: 200, tune: 20, min: 0, max: NO_MAX, integer: true },
  seed: { help: 'seeds the perturbations and where the streams start', train: 1, tune: 1, min: 0, max: 0xffffffff, integer: true },
  evalSeconds: { help: 'seconds between evaluations on the held-out splits', train: 300, min: Number.MIN_VALUE, max: NO_MAX },
  ckptSeconds: { help: 'seconds between checkpoints', train: 120, min: Number.MIN_VALUE, max: NO_MAX },
  valBytes: { help: 'bytes of each held-out split scored at each evaluation', train: 32_768, min: 1, max: NO_MAX, integer: true },
  threads: { help: 'shards, one per worker thread', train: 1, min: 1, max: 64, integer: true },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
type TuneName = { [K in SettingName]: (typeof SETTINGS)[K] extends { tune: number } ? K : never }[SettingName];

/** The trainer's settings, at their defaults. */
export type TrainSettings = Record<SettingName, number>;
/** A fine-tune's settings (those of the SPSA step, and its batch and window). */
export type FineTuneSettings = Record<TuneName, number>;

export const TRAIN_DEFAULTS: TrainSettings = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.train])) as TrainSettings;
export const FINETUNE_DEFAULTS: FineTuneSettings = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([k, s]) => ('tune' in s ? [[k, s.tune]] : [])),
) as FineTuneSettings;

/** A setting's command-line flag, in kebab case: unitLr → unit-lr. */
export const flagOf = (name: SettingName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The usage lines of every setting: flag, default, meaning. */
export function settingsUsage(): string {
  return (Object.keys(SETTINGS) as SettingName[]).map((k) => `  --${flagOf(k).padEnd(14)} ${String(SETTINGS[k].train).padEnd(8)} ${SETTINGS[k].help}`).join('\n');
}
