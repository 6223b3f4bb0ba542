// `soma average A.bin B.bin ... --out C.bin`: the mean of the weights of several runs of one config.
// Runs that continue from one starting point with other seeds wander apart by independent SPSA
// noise; their mean keeps what they share and halves that noise (for two). Not SPSA, and no
// gradient: a weight-space average, and the provenance says so.
import { writeFile } from 'node:fs/promises';
import { sameConfig } from '../model/config';
import { writeSoma } from '../model/format';
import { UsageError, parseArgs, stringFlag } from './args';
import { loadWeights } from './node-engine';

export async function average(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['out'], booleans: [] });
  const out = stringFlag(a, 'out');
  if (!out) throw new UsageError('average needs --out FILE');
  if (a.positionals.length < 2) throw new UsageError('average takes two or more soma.bin files');
  const files = await Promise.all(a.positionals.map((p) => loadWeights(p)));
  const first = files[0];
  for (const [i, f] of files.entries()) if (!sameConfig(f.config, first.config)) throw new UsageError(`${a.positionals[i]} has another config than ${a.positionals[0]}`);
  const mean = new Float32Array(first.weights.length);
  for (let i = 0; i < mean.length; i++) {
    let s = 0;
    for (const f of files) s += f.weights[i];
    mean[i] = s / files.length;
  }
  const longest = files.reduce((x, f) => (f.provenance.steps > x.provenance.steps ? f : x));
  const inputs = files.map((f) => `${f.sha256.slice(0, 12)} (${f.provenance.steps} steps, ${f.provenance.tokens} bytes)`).join(', ');
  await writeFile(
    out,
    await writeSoma(first.config, mean, {
      ...longest.provenance,
      method: `${longest.provenance.method.replace(/\.\s*$/, '')}. Then the mean of the weights of ${files.length} such runs (not SPSA: a weight-space average, no gradient).`,
      valNatsPerChar: null,
      notes: `The mean of ${inputs}; steps and tokens are those of the longest. ${longest.provenance.notes ?? ''}`.trim(),
      created: new Date().toISOString().slice(0, 10),
    }),
  );
  console.log(`wrote ${out}: the mean of ${files.length} models`);
}
