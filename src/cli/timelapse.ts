// `soma timelapse RUN`: the app's time-lapse from a training run's snapshots. Picks log-spaced
// frames (the start and the end always), scores each on the first bytes of the held-out splits,
// and writes them as fp16 soma.bin files with timelapse/index.json beside them.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSoma, writeSoma } from '../model/format';
import { TIMELAPSE_VERSION, type TimelapseFrame, type TimelapseIndex, parseTimelapseIndex, pickLogSpaced } from '../model/timelapse';
import { UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { loadWeights, natsPerChar, openSession, readInput } from './node-engine';
import { CORPUS_DIR, TRAINING_VAL_SPLITS, valFile } from './paths';

export async function timelapse(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['out', 'frames', 'data', 'val-bytes'], booleans: [] });
  if (a.positionals.length !== 1) throw new UsageError('timelapse takes one training run directory (e.g. runs/main)');
  const runDir = a.positionals[0];
  const out = stringFlag(a, 'out') ?? 'public/timelapse';
  const frames = numberFlag(a, 'frames', 6, 2, 32, true);
  const dataDir = stringFlag(a, 'data') ?? CORPUS_DIR;
  const valBytes = numberFlag(a, 'val-bytes', 65_536, 1024, 1 << 24, true);
  const snapDir = join(runDir, 'snapshots');
  if (!existsSync(snapDir)) throw new UsageError(`no ${snapDir}: that run kept no snapshots`);

  // Candidates: every snapshot, and the run's latest weights as the last frame.
  const candidates = [];
  for (const name of readdirSync(snapDir).filter((n) => /^\d{12}\.bin$/.test(n)).sort()) candidates.push(await loadWeights(join(snapDir, name)));
  const latest = join(runDir, 'soma.bin');
  if (existsSync(latest)) {
    const f = await loadWeights(latest);
    if (!candidates.length || f.provenance.tokens > candidates[candidates.length - 1].provenance.tokens) candidates.push(f);
  }
  if (candidates.length < 2) throw new UsageError(`${runDir} has fewer than 2 snapshots`);
  const chosen = pickLogSpaced(candidates.map((f) => Object.assign(f, { tokens: f.provenance.tokens })), frames);

  const vals = await Promise.all(TRAINING_VAL_SPLITS.map(async (s) => [s, (await readInput(join(dataDir, valFile(s)), 'validation text')).subarray(0, valBytes)] as const));
  mkdirSync(out, { recursive: true });
  const index: TimelapseIndex = { version: TIMELAPSE_VERSION, run: chosen[chosen.length - 1].provenance.method, valBytes, frames: [] };
  for (const f of chosen) {
    const session = await openSession(f, 'wasm-simd');
    const val: Record<string, number> = {};
    for (const [name, text] of vals) val[name] = Number(natsPerChar(session, text).toFixed(4));
    const file = `${String(f.tokens).padStart(12, '0')}.bin`;
    const bytes = await writeSoma(f.config, f.weights, { ...f.provenance, valNatsPerChar: val, valMeasuredOn: `the first ${valBytes} bytes of each held-out split`, notes: `A time-lapse frame. ${f.provenance.notes ?? ''}`.trim() }, 'f16');
    writeFileSync(join(out, file), bytes);
    const { sha256 } = await readSoma(bytes); // the hash as the app's reader will see it
    const frame: TimelapseFrame = { file, tokens: f.tokens, steps: f.provenance.steps, fileBytes: bytes.length, sha256, valNatsPerChar: val };
    index.frames.push(frame);
    console.log(`${file}: ${f.tokens} bytes, ${f.provenance.steps} steps, ${TRAINING_VAL_SPLITS.map((s) => `${s} ${val[s].toFixed(4)}`).join(', ')}`);
  }
  parseTimelapseIndex(index); // what the app will accept
  // Frames of an earlier build go; nothing else in the folder is touched.
  for (const name of readdirSync(out)) if (/^\d{12}\.bin$/.test(name) && !index.frames.some((f) => f.file === name)) rmSync(join(out, name));
  writeFileSync(join(out, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  console.log(`wrote ${out}/index.json: ${index.frames.length} frames`);
}
