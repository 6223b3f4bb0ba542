// `soma tune FILE --seconds S --out OUT.bin [--weights FILE] [--row-rounds N ...]`: the app's "Teach it" in Node, for
// measuring. It goes through the app's engine (src/engine/local-engine.ts): the loop, settings,
// split and held-out scoring are the worker's own; only the kernels differ (native when they build
// here, else WASM, as the trainer's shards). --seconds is time spent stepping, as the
// engine counts it.
import { writeFile } from 'node:fs/promises';
import type { FineTuneProgress } from '../engine/protocol';
import { drain } from '../engine/stream-of';
import { fineTuneTextError, splitText } from '../train/finetune';
import { FINETUNE_DEFAULTS, type FineTuneSettings, SETTINGS, flagOf } from '../train/settings';
import { UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { DEFAULT_WEIGHTS, nodeEngine, readInput, readWeights } from './node-engine';
import { shardEngine } from './train-shards';

export async function tune(argv: string[]): Promise<void> {
  // Every fine-tune setting is a flag (--row-lr 3e-3, ...), from the one table, for trials.
  const keys = Object.keys(FINETUNE_DEFAULTS) as (keyof FineTuneSettings)[];
  const a = parseArgs(argv, { values: ['seconds', 'out', 'weights', 'kernels', ...keys.map(flagOf)], booleans: [] });
  if (a.positionals.length !== 1) throw new UsageError('tune takes one text FILE');
  const seconds = numberFlag(a, 'seconds', 120, 0, 86_400);
  const out = stringFlag(a, 'out');
  if (!out) throw new UsageError('tune needs --out OUT.bin');
  const settings = { ...FINETUNE_DEFAULTS };
  for (const k of keys) {
    const spec: { min: number; max: number; integer?: boolean } = SETTINGS[k];
    settings[k] = numberFlag(a, flagOf(k), FINETUNE_DEFAULTS[k], spec.min, spec.max, spec.integer ?? false);
  }
  const kernels = stringFlag(a, 'kernels') ?? 'native';
  if (kernels !== 'native' && kernels !== 'wasm') throw new UsageError(`--kernels must be native or wasm, got ${JSON.stringify(kernels)}`);
  const path = a.positionals[0];
  const text = await readInput(path, 'text file');
  const bad = fineTuneTextError(text.length);
  if (bad) throw new UsageError(`${path}: ${bad}`);
  const weightsPath = stringFlag(a, 'weights') ?? DEFAULT_WEIGHTS;

  let label = '';
  const engine = nodeEngine({
    fineTune: settings,
    tunedWhere: 'by `soma tune`',
    evalEveryMs: 30_000,
    shardEngine: async (floats) => {
      const shard = await shardEngine(floats, kernels);
      label = shard.label;
      return shard;
    },
  });
  await engine.load(await readWeights(weightsPath), 'wasm-simd'); // scores as `soma score` and the app do
  const { train, held } = splitText(text);
  const report = (p: FineTuneProgress) => console.log(`step ${p.step}: ${p.tokens} bytes read, ${p.seconds.toFixed(0)} s, train ${p.trainLoss.toFixed(3)} nats/byte, held-out ${p.now.toFixed(4)} nats/char`);
  const teaching = engine.teach(text, { budgetMs: seconds * 1000 });
  const start = await teaching.next(); // the fine-tune built, and the starting weights scored
  if (start.done) throw new Error('the fine-tune ended before it began');
  console.log(`${path}: ${text.length} bytes, ${train.length} trained on, ${held.length} held out; ${seconds} s on ${label} kernels`);
  console.log(`held-out nats/char before: ${start.value.before.toFixed(4)}`);
  const { progress: p } = await drain(teaching, report);
  await writeFile(out, await engine.exportTuned());
  console.log(`wrote ${out}`);
  console.log(`tuned nats/char: ${p.before.toFixed(4)} -> ${p.now.toFixed(4)}`);
}
