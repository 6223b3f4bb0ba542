// The model's configuration, its tensor list, and the counts derived from it.
// Every size in SOMA comes from here, and every config comes from a soma.bin header.

export interface SomaConfig {
  vocab: number; // V: byte symbols, always 256
  embed: number; // E: byte embedding width, shared by router and experts
  routerHidden: number; // R: router LSTM width
  experts: number; // K: number of experts
  expertHidden: number; // H: width of both LSTM layers of every expert
  mlpHidden: number; // M: hidden width of each expert's GELU decoder
  decoderInput: DecoderInput; // what the winner's decoder reads
  bos: number; // the byte fed to a fresh state before an empty prompt
  layer2Recurrence: Layer2Recurrence; // how layer 2 reads its own previous state
}

/**
 * How each expert's layer 2 reads its previous state h2: 'full' through a matrix (gates = W·[y1; h2] + b,
 * W [4H, 2H]); 'unit' element-wise, each unit its own state alone (IndyLSTM: gates = W·y1 + r ⊙ [h2; h2; h2; h2] + b,
 * W [4H, H], r [4H]), so a unit's gate weights move its own trajectory and nothing else in the layer.
 */
export type Layer2Recurrence = 'full' | 'unit';
export const LAYER2_RECURRENCES: readonly Layer2Recurrence[] = ['full', 'unit'];

/**
 * What the winner's decoder reads: 'h2' is LN2(h2) alone [H]; 'h2+h1+x' is [LN2(h2); LN1(h1); x],
 * its layer-1 state and the input byte's embedding as well [2H + E]; 'h2+h1+x+r' adds the router's
 * LSTM state hr [2H + E + R]. Each input starts with the one before it.
 */
export type DecoderInput = 'h2' | 'h2+h1+x' | 'h2+h1+x+r';
export const DECODER_INPUTS: readonly DecoderInput[] = ['h2', 'h2+h1+x', 'h2+h1+x+r'];

/** D: the width of the decoder's input. */
export function decoderWidth(c: SomaConfig): number {
  const { expertHidden: H, embed: E, routerHidden: R } = c;
  return { h2: H, 'h2+h1+x': 2 * H + E, 'h2+h1+x+r': 2 * H + E + R }[c.decoderInput];
}

export const DEFAULT_CONFIG: SomaConfig = {
  vocab: 256,
  embed: 32,
  routerHidden: 64,
  experts: 16,
  expertHidden: 32,
  mlpHidden: 128,
  decoderInput: 'h2+h1+x',
  bos: 10,
  layer2Recurrence: 'full',
};

/** Upper bounds a header may ask for; they keep a hostile file from making us allocate without bound. */
export const CONFIG_LIMITS = {
  embed: 1024,
  routerHidden: 1024,
  experts: 64,
  expertHidden: 1024,
  mlpHidden: 4096,
  params: 64 * 1024 * 1024, // 256 MB of fp32
} as const;

/** How a tensor starts in a fresh model (init.ts): uniform ±1/sqrt(n), N(0, 1), a constant, or LSTM gate biases with the forget block at +1. */
export type InitRule = { uniform: number } | 'normal' | 'zeros' | 'ones' | { forgetBias: number };

/**
 * Which of the trainer's parameter groups a tensor is in: the shared weights (embedding, router),
 * an expert's trunk (its LSTMs and norms), or its decoder's hidden or output layer (the decoder's
 * two kinds of block step).
 */
export type ParamGroup = 'shared' | 'trunk' | 'decoder.hidden' | 'decoder.output';

export interface TensorSpec {
  name: string; // as in soma.bin's tensor table
  key: TensorKey; // as in forward.ts (WeightOffsets)
  shape: number[];
  init: InitRule;
  group: ParamGroup;
}

export type TensorKey =
  | 'embed' | 'routerW' | 'routerB' | 'headW' | 'headB'
  | 'l1W' | 'l1B' | 'ln1G' | 'ln1B' | 'l2W' | 'l2R' | 'l2B' | 'ln2G' | 'ln2B'
  | 'mlpW1' | 'mlpB1' | 'mlpW2' | 'mlpB2';

/** The tensors of a model, in the order they sit in the flat weight array: the one table every layout, init and parameter group is derived from. */
export function tensorSpecs(c: SomaConfig): TensorSpec[] {
  const { vocab: V, embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = c;
  const D = decoderWidth(c);
  const t = (name: string, key: TensorKey, shape: number[], init: InitRule, group: ParamGroup): TensorSpec => ({ name, key, shape, init, group });
  return [
    t('embed', 'embed', [V, E], 'normal', 'shared'),
    t('router.w', 'routerW', [4 * R, E + R], { uniform: E + R }, 'shared'), // acts on [x; hr]
    t('router.b', 'routerB', [4 * R], { forgetBias: R }, 'shared'),
    t('router.head.w', 'headW', [K, R], { uniform: R }, 'shared'),
    t('router.head.b', 'headB', [K], 'zeros', 'shared'),
    t('experts.l1.w', 'l1W', [K, 4 * H, E + H], { uniform: E + H }, 'trunk'), // acts on [x; h1]
    t('experts.l1.b', 'l1B', [K, 4 * H], { forgetBias: H }, 'trunk'),
    t('experts.ln1.g', 'ln1G', [K, H], 'ones', 'trunk'),
    t('experts.ln1.b', 'ln1B', [K, H], 'zeros', 'trunk'),
    ...(c.layer2Recurrence === 'unit'
      ? [
          t('experts.l2.w', 'l2W', [K, 4 * H, H], { uniform: H }, 'trunk'), // acts on ln1(h1)
          // Each gate's weight on the unit's own h2. ±1/sqrt(2) gives a gate the recurrent input variance
          // the full layer has at init (H terms of variance 1/(3·2H)), and keeps |r| < 1 as IndRNN bounds it.
          t('experts.l2.r', 'l2R', [K, 4 * H], { uniform: 2 }, 'trunk'),
        ]
      : [t('experts.l2.w', 'l2W', [K, 4 * H, 2 * H], { uniform: 2 * H }, 'trunk')]), // acts on [ln1(h1); h2]
    t('experts.l2.b', 'l2B', [K, 4 * H], { forgetBias: H }, 'trunk'),
    t('experts.ln2.g', 'ln2G', [K, H], 'ones', 'trunk'),
    t('experts.ln2.b', 'ln2B', [K, H], 'zeros', 'trunk'),
    t('experts.mlp.w1', 'mlpW1', [K, M, D], { uniform: D }, 'decoder.hidden'), // acts on the decoder's input
    t('experts.mlp.b1', 'mlpB1', [K, M], 'zeros', 'decoder.hidden'),
    t('experts.mlp.w2', 'mlpW2', [K, V, M], { uniform: M }, 'decoder.output'),
    t('experts.mlp.b2', 'mlpB2', [K, V], 'zeros', 'decoder.output'),
  ];
}

export const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Whether two configs describe the same model shape. */
export const sameConfig = (a: SomaConfig, b: SomaConfig): boolean => (Object.keys(DEFAULT_CONFIG) as (keyof SomaConfig)[]).every((k) => a[k] === b[k]);

export function paramCount(c: SomaConfig): number {
  return tensorSpecs(c).reduce((n, t) => n + numel(t.shape), 0);
}

/**
 * Multiply-adds per byte, split by part. Every expert's LSTM steps on every byte;
 * only the winner's decoder runs. Nonlinearities and norms are counted apart.
 */
export function macsPerByte(c: SomaConfig) {
  const { vocab: V, embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = c;
  const router = 4 * R * (E + R) + K * R;
  const experts = K * (4 * H * (E + H) + (c.layer2Recurrence === 'unit' ? 4 * H * H + 4 * H : 4 * H * 2 * H));
  const decoder = M * decoderWidth(c) + V * M;
  return { router, experts, decoder, total: router + experts + decoder };
}

/** FLOPs per byte: 2 per multiply-add, plus one per gate, cell, norm and GELU element (a lower bound for those). */
export function flopsPerByte(c: SomaConfig): number {
  const { routerHidden: R, experts: K, expertHidden: H, mlpHidden: M, vocab: V } = c;
  const elementwise = 8 * R + K * 2 * (8 * H + 6 * H) + 6 * H + 8 * M + V;
  return 2 * macsPerByte(c).total + elementwise;
}

/**
 * A header's config as written before a field existed: decoders then read LN2(h2) alone, and
 * layer 2's recurrence was the full matrix.
 */
export function withConfigDefaults(c: unknown): unknown {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return c;
  return { ...('decoderInput' in c ? {} : { decoderInput: 'h2' }), ...('layer2Recurrence' in c ? {} : { layer2Recurrence: 'full' }), ...c };
}

/** Checks a config read from an untrusted header. Returns an error message or null. */
export function configError(c: unknown): string | null {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'config is not an object';
  const o = c as Record<string, unknown>;
  const intIn = (k: string, lo: number, hi: number) => {
    const v = o[k];
    return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? null : `config.${k} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`;
  };
  const err =
    (o.vocab === 256 ? null : `config.vocab must be 256, got ${JSON.stringify(o.vocab)}`) ??
    intIn('embed', 1, CONFIG_LIMITS.embed) ??
    intIn('routerHidden', 1, CONFIG_LIMITS.routerHidden) ??
    intIn('experts', 1, CONFIG_LIMITS.experts) ??
    intIn('expertHidden', 1, CONFIG_LIMITS.expertHidden) ??
    intIn('mlpHidden', 1, CONFIG_LIMITS.mlpHidden) ??
    intIn('bos', 0, 255) ??
    (DECODER_INPUTS.includes(o.decoderInput as DecoderInput) ? null : `config.decoderInput must be one of ${DECODER_INPUTS.join(', ')}, got ${JSON.stringify(o.decoderInput)}`) ??
    (LAYER2_RECURRENCES.includes(o.layer2Recurrence as Layer2Recurrence) ? null : `config.layer2Recurrence must be one of ${LAYER2_RECURRENCES.join(', ')}, got ${JSON.stringify(o.layer2Recurrence)}`);
  if (err) return err;
  if (paramCount(c as SomaConfig) > CONFIG_LIMITS.params) return `config asks for ${paramCount(c as SomaConfig)} parameters, over the limit of ${CONFIG_LIMITS.params}`;
  return null;
}
