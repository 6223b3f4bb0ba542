// `soma release`: turn a training checkpoint into the shipped weights. It scores every held-out
// split in full (as `soma score` does) and records those figures in the file's provenance.
import { writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeSoma } from '../model/format';
import { UsageError, parseArgs, stringFlag } from './args';
import { CORPUS_DIR, OUTSIDE_TEXTS, SPLITS, valFile } from './paths';
import { loadWeights, natsPerChar, openSession, readInput } from './node-engine';



export async function release(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['data', 'out', 'curve'], booleans: [] });
  if (a.positionals.length !== 1) throw new UsageError('release takes one checkpoint FILE (e.g. runs/main/best.bin)');
  const dataDir = stringFlag(a, 'data') ?? CORPUS_DIR;
  const out = stringFlag(a, 'out') ?? 'public/soma.bin';
  const file = await loadWeights(a.positionals[0]);
  if (!file.provenance.trained) throw new UsageError(`${a.positionals[0]} is not a trained checkpoint`);
  const session = await openSession(file, 'wasm-simd');
  const val: Record<string, number> = {};
  for (const split of SPLITS) {
    const path = join(dataDir, valFile(split));
    if (!existsSync(path)) continue;
    const text = await readInput(path, 'validation text');
    val[split] = Number(natsPerChar(session, text).toFixed(4));
    console.log(`${split}: ${val[split].toFixed(4)} nats/char over ${text.length} bytes`);
  }
  if (Object.keys(val).length === 0) throw new UsageError(`no validation splits in ${dataDir}: run \`npm run corpus\``);
  const outside: Record<string, number> = {};
  for (const [name, file] of Object.entries(OUTSIDE_TEXTS)) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    const text = await readInput(path, 'text from outside the corpus');
    outside[name] = Number(natsPerChar(session, text).toFixed(4));
    console.log(`${name} (outside the corpus): ${outside[name].toFixed(4)} nats/char over ${text.length} bytes`);
  }
  const provenance = { ...file.provenance, valNatsPerChar: val, valMeasuredOn: 'each full held-out split (soma release)', ...(Object.keys(outside).length ? { outsideNatsPerChar: outside } : {}) };
  await writeFile(out, await writeSoma(file.config, file.weights, provenance));
  console.log(`wrote ${out}`);
  const curve = stringFlag(a, 'curve');
  if (curve) await copyFile(curve, 'docs/curve.svg');
}
