// `soma tune FILE --seconds S --out OUT.bin [--weights FILE] [--row-rounds N ...]`: the app's "Teach it" in Node, for
// measuring. The loop, settings, split and held-out scoring are src/train/finetune.ts, the worker's
// own; only the kernels differ (native when they build here, else WASM, as the trainer's shards).
import { writeFile } from 'node:fs/promises';
import { writeSoma } from '../model/format';
import { FineTune, fineTuneTextError } from '../train/finetune';
import { FINETUNE_DEFAULTS, type FineTuneSettings, SETTINGS, flagOf } from '../train/settings';
import { UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { DEFAULT_WEIGHTS, loadWeights, openSession, readInput } from './node-engine';
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
  const file = await loadWeights(weightsPath);

  const engine = await shardEngine(FineTune.shardFloats(file.config, settings), kernels);
  const scorer = await openSession(file, 'wasm-simd'); // scores as `soma score` and the app do
  const ft = new FineTune(file.config, file.weights, text, engine, scorer, settings);
  console.log(`${path}: ${text.length} bytes, ${ft.train.length} trained on, ${ft.held.length} held out; ${seconds} s on ${engine.label} kernels`);
  console.log(`held-out nats/char before: ${ft.progress.before.toFixed(4)}`);
  await ft.run({
    budgetMs: seconds * 1000,
    evalEveryMs: 30_000,
    onProgress: (p) => console.log(`step ${p.step}: ${p.tokens} bytes read, ${p.seconds.toFixed(0)} s, train ${p.trainLoss.toFixed(3)} nats/byte, held-out ${p.now.toFixed(4)} nats/char`),
  });
  const p = ft.progress;
  await writeFile(out, await writeSoma(file.config, ft.theta, ft.provenance(file.provenance, 'by `soma tune`')));
  console.log(`wrote ${out}`);
  console.log(`tuned nats/char: ${p.before.toFixed(4)} -> ${p.now.toFixed(4)}`);
}
