// `soma train`: SPSA training from scratch, forward passes only. Config at the top; the step
// itself is src/train/spsa.ts; the shards run here or in worker threads (--threads).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_LIMITS, DECODER_INPUTS, DEFAULT_CONFIG, type DecoderInput, LAYER2_RECURRENCES, type Layer2Recurrence, paramCount, sameConfig, type SomaConfig, withConfigDefaults } from '../model/config';
import { type Provenance, readSoma, writeSoma } from '../model/format';
import { initWeights } from '../model/init';
import { describeDecoder, widenDecoder, widenError } from '../model/reshape';
import { Session } from '../engine/session';
import { weightLayout } from '../model/weights';
import { type SpsaState, betweenCycles, lrAt, spsaStep } from '../train/schedule';
import { TEACHER } from '../train/teacher';
import { type TeacherModelRecord, describeTeacher, teacherModel } from './train-teacher';
import { SETTINGS, type SettingName, TRAIN_DEFAULTS, type TrainSettings, flagOf, settingsUsage } from '../train/settings';
import { type ParsedArgs, UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { CORPUS_DIR, TRAINING_VAL_SPLITS, valFile } from './paths';
import { kernelsWasm, natsPerChar, readInput } from './node-engine';
import { svgPlot } from './plot';
import { type ShardHandle, localShard, makeShard, threadShard } from './train-shards';

type TrainConfig = TrainSettings;

const SOURCE_NAMES: Record<string, string> = { sotu: 'SOTU', brown: 'Brown', spam: 'SpamAssassin ham', wordnet: 'WordNet 3.1 glosses', gutenberg: 'Project Gutenberg books' };

/** What a run trains on, for its provenance: the sources `npm run corpus` lists for this very text, or the text's size and hash. */
function corpusName(dataDir: string, text: Uint8Array): string {
  const hash = createHash('sha256').update(text).digest('hex');
  const manifest = join(dataDir, 'manifest.json');
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { train?: { sha256?: string }; sources?: { source: string }[] };
    if (m.train?.sha256 === hash && m.sources) return `${m.sources.map((x) => SOURCE_NAMES[x.source] ?? x.source).join(' + ')} (docs/corpus.md)`;
  }
  return `train.txt of ${text.length} bytes, SHA-256 ${hash.slice(0, 16)}… (docs/corpus.md)`;
}

const atomicWrite = (path: string, data: Uint8Array | string) => {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
};

/** A fresh run's weights: a seeded init, with every expert's output biases at the log frequency of each byte in the training text (a data-derived init). */
function startingWeights(config: SomaConfig, seed: number, text: Uint8Array): Float32Array {
  const theta = initWeights(config, seed);
  const counts = new Float64Array(256).fill(1);
  for (let i = 0; i < text.length; i++) counts[text[i]]++;
  const total = counts.reduce((a, b) => a + b, 0);
  const b2 = weightLayout(config).byName.get('experts.mlp.b2')!;
  for (let e = 0; e < config.experts; e++) for (let i = 0; i < 256; i++) theta[b2.offset + e * 256 + i] = Math.log(counts[i] / total);
  return theta;
}

interface RunState extends SpsaState {
  wallSeconds: number;
  cfg: TrainConfig;
  model?: SomaConfig; // the model's shape (absent in runs saved before it could change: DEFAULT_CONFIG with decoderInput 'h2'; runModel)
  best: number;
  history: { step: number; tokens: number; val: Record<string, number> }[];
  snapshots: number[]; // training bytes at which a time-lapse snapshot was kept
  init?: { steps: number; tokens: number; sha256: string; method?: string; decoderInput?: DecoderInput; mlpHidden?: number }; // --init: the weights this run continued, and how they were made
  widened?: { step: number; from: string; to: string }[]; // --resume with a wider decoder: when, and from what to what
  teacherSince?: number; // the step from which the loss had a teacher's soft targets (--teacher-weight)
  teacherModel?: TeacherModelRecord; // --teacher: the soft targets come from this earlier model, not the 5-gram
  corpora?: { step: number; name: string }[]; // the texts the run read, each from the step it started on (--data may change on --resume)
}

/** A run's model: saved before the shape could change, DEFAULT_CONFIG with decoderInput 'h2'; a field saved before it existed takes its old default. */
const runModel = (run: { model?: SomaConfig }): SomaConfig => (run.model ? (withConfigDefaults(run.model) as SomaConfig) : { ...DEFAULT_CONFIG, decoderInput: 'h2' });

/** Time-lapse snapshots at log-spaced points: the start, then from 1M bytes of training text, each at twice the last. */
const nextSnapshot = (run: RunState) => (run.snapshots?.length ? Math.max(1_000_000, 2 * run.snapshots.at(-1)!) : 0);

const STATE_VERSION = 1;

/** state.bin: 'SOMT', JSON header, then θ, momentum, and every shard's streams; written atomically. */
function saveState(path: string, run: RunState, theta: Float32Array, momentum: Float32Array, shards: { state: Float32Array; positions: Float64Array }[]) {
  const header = new TextEncoder().encode(JSON.stringify({ ...run, shards: shards.map((s) => ({ state: s.state.length, positions: s.positions.length })) }));
  const pad = (n: number) => Math.ceil(n / 8) * 8;
  let size = pad(12 + header.length) + theta.byteLength + momentum.byteLength;
  for (const s of shards) size = pad(size + s.state.byteLength) + s.positions.byteLength;
  const out = new Uint8Array(size);
  out.set([83, 79, 77, 84]);
  new DataView(out.buffer).setUint32(4, STATE_VERSION, true);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = pad(12 + header.length);
  const put = (a: Float32Array | Float64Array) => {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  };
  put(theta);
  put(momentum);
  for (const s of shards) {
    put(s.state);
    at = pad(at);
    put(s.positions);
  }
  atomicWrite(path, out);
}

function loadState(path: string, floatsOf: (run: RunState) => number) {
  const b = readFileSync(path);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'SOMT') throw new UsageError(`${path} is not a trainer state file`);
  const version = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (version !== STATE_VERSION) throw new UsageError(`${path} is a trainer state of version ${version}; this trainer reads version ${STATE_VERSION}`);
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const run = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len))) as RunState & { shards: { state: number; positions: number }[] };
  const pad = (n: number) => Math.ceil(n / 8) * 8;
  let at = pad(12 + len);
  const take32 = (n: number) => {
    const a = new Float32Array(bytes.slice(at, at + n * 4).buffer);
    at += n * 4;
    return a;
  };
  const take64 = (n: number) => {
    const a = new Float64Array(bytes.slice(at, at + n * 8).buffer);
    at += n * 8;
    return a;
  };
  const theta = take32(floatsOf(run));
  const momentum = take32(floatsOf(run));
  const shards = run.shards.map((s) => {
    const state = take32(s.state);
    at = pad(at);
    return { state, positions: take64(s.positions) };
  });
  return { run, theta, momentum, shards };
}

/** The provenance's corpus: the one text, or each text the run read with the step it started on. */
function corporaOf(run: RunState, corpus: string): string {
  const read = run.corpora ?? [];
  if (read.length === 0 || (read.length === 1 && read[0].step === 0)) return corpus;
  const from = read.map((c) => `from step ${c.step}: ${c.name}`).join('; ');
  return read[0].step === 0 ? from : `before step ${read[0].step}: not recorded; ${from}`;
}

function provenance(run: RunState, val: Record<string, number> | null, cfg: TrainConfig, corpus: string): Provenance {
  const block = 'block-wise: every row of the matrix, with its bias, perturbed alone, its exact ± losses computed from the pass at θ';
  const teacher = describeTeacher(run.teacherModel);
  const decoderSteps = [
    cfg.headRounds ? `${cfg.headRounds} decoder-only steps` : '',
    cfg.unitRounds ? `${cfg.unitRounds} hidden-unit steps (${block}; lr ${cfg.unitLr})` : '',
    cfg.rowRounds ? `${cfg.rowRounds} output-row steps (likewise; lr ${cfg.rowLr})` : '',
    cfg.l2Rounds ? `${cfg.l2Rounds} layer-2 unit steps (each unit's gate weights, recurrent weights and biases perturbed alone, its exact ± losses computed from the cached layer-1 outputs and the pass at θ; ${cfg.l2Units} units of each expert per round; lr ${cfg.l2Lr})` : '',
  ].filter(Boolean);
  return {
    trained: true,
    method:
      'SPSA, forward passes only: antithetic ±1 perturbations regenerated from seeds; per-expert credit on expert steps ' +
      `(router held still), embedding+router steps every ${cfg.sharedEvery}th trunk step` +
      (decoderSteps.length ? `; after each trunk step, on its cached features: ${decoderSteps.join(', ')}; ` : '; ') +
      `normalised steps with momentum ${cfg.beta}, cosine lr decay. ` +
      'Not SPSA: output biases initialised to log unigram frequencies of the training text; router score biases nudged toward equal expert load (auxiliary-loss-free balancing).' +
      (cfg.teacherWeight > 0
        ? ` Soft targets, not SPSA${run.teacherSince ? ` (from step ${run.teacherSince} of this run)` : ''}: each byte's target mixes the next byte (weight ${Number((1 - cfg.teacherWeight).toFixed(6))}) with ${teacher.source} (weight ${cfg.teacherWeight})${teacher.detail}.`
        : '') +
      (run.model?.layer2Recurrence === 'unit' ? ' Layer 2 of every expert has an element-wise recurrence (each unit reads its own previous state alone).' : '') +
      (run.init?.decoderInput && run.init.decoderInput !== run.model?.decoderInput ? ` This run widened the decoder's input from ${run.init.decoderInput} to ${run.model?.decoderInput}, the new weights at zero (the same model at its start).` : '') +
      (run.init?.mlpHidden && run.init.mlpHidden !== run.model?.mlpHidden ? ` This run widened the decoder's hidden layer from ${run.init.mlpHidden} to ${run.model?.mlpHidden} units, the new units' output weights at zero (the same model at its start).` : '') +
      (run.widened ?? []).map((w) => ` At step ${w.step} this run widened its decoders from ${w.from} to ${w.to}, the new weights' effect at zero (the same model at that step; the new units' input rows freshly initialised).`).join('') +
      (run.init?.method ? ` The ${run.init.steps} steps before it: ${run.init.method}` : ''),
    steps: run.step + (run.init?.steps ?? 0),
    tokens: run.tokens + (run.init?.tokens ?? 0),
    corpus: corporaOf(run, corpus),
    ...(cfg.teacherWeight > 0 ? { softTargets: { teacher: teacher.short, weight: cfg.teacherWeight, fromStep: run.teacherSince ?? 0 } } : {}),
    valNatsPerChar: val,
    seed: cfg.seed,
    valMeasuredOn: `the first ${cfg.valBytes} bytes of each held-out split`,
    notes:
      `lr ${cfg.lr}, eps ${cfg.eps}, batch ${cfg.batch}x${cfg.window} per shard, ${cfg.threads} shard(s).` +
      (run.init ? ` Continued from weights ${run.init.sha256.slice(0, 12)} (${run.init.steps} steps, ${run.init.tokens} bytes; counted in steps and tokens), with fresh optimiser state.` : ''),
    created: new Date().toISOString().slice(0, 10),
  };
}

function parseTrainArgs(argv: string[]): { a: ParsedArgs; cfg: TrainConfig; given: Set<SettingName> } {
  const keys = Object.keys(SETTINGS) as SettingName[];
  const a = parseArgs(argv, { values: [...keys.map(flagOf), 'data', 'out', 'minutes', 'stop-at', 'init', 'decoder-input', 'mlp-hidden', 'layer2-recurrence', 'teacher'], booleans: ['resume', 'quiet', 'help'] });
  if (a.positionals.length) throw new UsageError('train takes no positional arguments');
  const cfg = { ...TRAIN_DEFAULTS };
  const given = new Set<SettingName>();
  for (const k of keys) {
    const s: { min: number; max: number; integer?: boolean } = SETTINGS[k];
    cfg[k] = numberFlag(a, flagOf(k), TRAIN_DEFAULTS[k], s.min, s.max, s.integer ?? false);
    if (a.flags.has(flagOf(k))) given.add(k);
  }
  return { a, cfg, given };
}

export const TRAIN_USAGE = `usage: soma train [--data DIR] [--out DIR] [--resume | --init FILE] [--decoder-input h2|h2+h1+x|h2+h1+x+r] [--mlp-hidden M]
                  [--layer2-recurrence full|unit] (a fresh run's layer 2: full matrix, or each unit its own state)
                  [--teacher FILE] (with --teacher-weight: the soft targets come from this trained soma.bin, not the 5-gram)
                  [--minutes M] [--stop-at STEP] [--quiet] [settings]
settings (flag, default, meaning):
${settingsUsage()}
`;

/** A run saved before block steps existed took none: it resumes as it ran. */
const BEFORE_BLOCK_STEPS: Partial<TrainConfig> = { unitRounds: 0, rowRounds: 0 };

/** Settings that shape the shards' streams and state: a resumed run cannot change them. */
const FIXED_ON_RESUME: SettingName[] = ['batch', 'window', 'threads', 'seed'];

export async function train(argv: string[]): Promise<void> {
  const parsed = parseTrainArgs(argv);
  const { a, given } = parsed;
  if (a.flags.has('help')) {
    process.stdout.write(TRAIN_USAGE);
    return;
  }
  let cfg = parsed.cfg;
  const dataDir = stringFlag(a, 'data') ?? CORPUS_DIR;
  const outDir = stringFlag(a, 'out') ?? 'runs/main';
  const minutes = numberFlag(a, 'minutes', Infinity, 0, Infinity); // stop after this much wall time ...
  const stopAt = numberFlag(a, 'stop-at', Infinity, 1, Infinity, true); // ... or at this step
  const initPath = stringFlag(a, 'init'); // start from these weights (a soma.bin) instead of a fresh init
  if (initPath && a.flags.has('resume')) throw new UsageError('--init starts a new run; --resume continues one: give one of them');
  const quiet = a.flags.has('quiet');
  if (!existsSync(join(dataDir, 'train.txt'))) throw new UsageError(`no ${join(dataDir, 'train.txt')}: run \`npm run corpus\` first`);
  const text = await readInput(join(dataDir, 'train.txt'), 'training text');
  const corpus = corpusName(dataDir, text);
  const vals = Object.fromEntries(
    await Promise.all(TRAINING_VAL_SPLITS.map(async (n) => {
      const v = await readInput(join(dataDir, valFile(n)), 'validation text');
      return [n, v.subarray(0, cfg.valBytes)] as const;
    })),
  );
  mkdirSync(outDir, { recursive: true });
  const statePath = join(outDir, 'state.bin');
  const decoderInput = stringFlag(a, 'decoder-input');
  if (decoderInput !== undefined && !DECODER_INPUTS.includes(decoderInput as DecoderInput)) throw new UsageError(`--decoder-input must be one of ${DECODER_INPUTS.join(', ')}`);
  const mlpHidden = a.flags.has('mlp-hidden') ? numberFlag(a, 'mlp-hidden', DEFAULT_CONFIG.mlpHidden, 1, CONFIG_LIMITS.mlpHidden, true) : undefined;
  // The decoder's shape as given: a fresh or --init run takes it; --resume widens the run's decoders to it.
  const decoderShape = (c: SomaConfig): SomaConfig => ({ ...c, ...(decoderInput ? { decoderInput: decoderInput as DecoderInput } : {}), ...(mlpHidden ? { mlpHidden } : {}) });
  const recurrence = stringFlag(a, 'layer2-recurrence');
  if (recurrence !== undefined && !LAYER2_RECURRENCES.includes(recurrence as Layer2Recurrence)) throw new UsageError(`--layer2-recurrence must be one of ${LAYER2_RECURRENCES.join(', ')}`);
  let config: SomaConfig = { ...decoderShape(DEFAULT_CONFIG), ...(recurrence ? { layer2Recurrence: recurrence as Layer2Recurrence } : {}) };

  let run: RunState;
  let theta: Float32Array;
  let restored: ReturnType<typeof loadState> | null = null;
  if (a.flags.has('resume')) {
    const runPath = join(outDir, 'run.json'), weightsPath = join(outDir, 'soma.bin');
    if (existsSync(statePath)) {
      restored = loadState(statePath, (s) => weightLayout(runModel(s)).total);
      run = restored.run;
      theta = restored.theta;
    } else if (existsSync(runPath) && existsSync(weightsPath)) {
      // A run kept as run.json and its weights (docs/training.md): its schedule, step sizes and
      // normaliser statistics carry on; the momentum and the streams start afresh.
      run = JSON.parse(readFileSync(runPath, 'utf8')) as RunState;
      theta = (await readSoma(await readInput(weightsPath, 'weights'))).weights;
      if (!quiet) process.stderr.write(`resuming from ${runPath} and ${weightsPath}: fresh momentum and streams\n`);
    } else throw new UsageError(`--resume: no ${statePath}, nor ${runPath} beside ${weightsPath}`);
    config = runModel(run);
    if (recurrence && recurrence !== config.layer2Recurrence) throw new UsageError(`--layer2-recurrence cannot change on --resume (the run has ${config.layer2Recurrence})`);
    if (theta.length !== weightLayout(config).total) throw new UsageError(`--resume: the weights do not fit the run's model`);
    const wider = decoderShape(config);
    if (!sameConfig(wider, config)) {
      // A branch with wider decoders: θ and the momentum widen; the step sizes and statistics carry on.
      const err = widenError(config, wider);
      if (err) throw new UsageError(`--decoder-input and --mlp-hidden on --resume only widen the run's decoders: ${err}`);
      const wide = widenDecoder(config, theta, wider, initWeights(wider, run.cfg.seed));
      if (restored) restored = { ...restored, theta: wide, momentum: widenDecoder(config, restored.momentum, wider) };
      theta = wide;
      (run.widened ??= []).push({ step: run.step, from: describeDecoder(config), to: describeDecoder(wider) });
      if (!quiet) process.stderr.write(`widening the decoders: ${describeDecoder(config)} → ${describeDecoder(wider)}\n`);
      config = run.model = wider;
    }
    // A resumed run keeps its own settings, but for those given again (say, a lower --lr to cool down).
    for (const k of given) if (FIXED_ON_RESUME.includes(k) && cfg[k] !== run.cfg[k]) throw new UsageError(`--${k} cannot change on --resume (the run has ${run.cfg[k]})`);
    cfg = { ...TRAIN_DEFAULTS, ...BEFORE_BLOCK_STEPS, ...run.cfg, ...Object.fromEntries([...given].map((k) => [k, cfg[k]])) };
    run.cfg = cfg;
  } else {
    run = { step: 0, tokens: 0, wallSeconds: 0, v: [], n: [], cfg, model: config, best: Infinity, history: [], snapshots: [] };
    if (initPath) {
      const from = await readSoma(await readInput(initPath, 'weights'));
      // A decoder carries into a wider one (input or hidden layer), the new weights' effect at zero: the same model.
      if (widenError(from.config, config)) throw new UsageError(`--init: ${initPath} has another config than the trainer's`);
      theta = sameConfig(from.config, config) ? from.weights.slice() : widenDecoder(from.config, from.weights, config, initWeights(config, cfg.seed));
      run.init = { steps: from.provenance.steps, tokens: from.provenance.tokens, sha256: from.sha256, method: from.provenance.method, decoderInput: from.config.decoderInput, mlpHidden: from.config.mlpHidden };
    } else theta = startingWeights(config, cfg.seed, text);
    writeFileSync(join(outDir, 'log.csv'), 'step,tokens,wall_s,train_nats_per_byte,lr,' + TRAINING_VAL_SPLITS.map((s) => `val_${s}`).join(',') + ',max_load\n');
  }

  if (cfg.l2Rounds > 0 && config.layer2Recurrence !== 'unit') throw new UsageError("--l2-rounds needs a layer 2 with the element-wise recurrence (--layer2-recurrence unit on a fresh run)");
  if (a.flags.has('teacher') && !(cfg.teacherWeight > 0)) throw new UsageError('--teacher needs --teacher-weight α > 0: the weight of its soft targets');
  const teacher = cfg.teacherWeight > 0 ? await teacherModel(stringFlag(a, 'teacher'), run.teacherModel) : null;
  if (teacher) run.teacherModel = teacher.record;
  else delete run.teacherModel;
  if (!teacher && cfg.teacherWeight > 0 && text.length <= (TEACHER.folds - 1) * TEACHER.blockBytes)
    throw new UsageError(`--teacher-weight: the teacher is cross-fitted over ${TEACHER.folds} folds of ${TEACHER.blockBytes} bytes, and the text has ${text.length}`);
  if ((run.corpora ??= []).at(-1)?.name !== corpus) run.corpora.push({ step: run.step, name: corpus });
  if (cfg.teacherWeight > 0) run.teacherSince ??= run.step;
  else delete run.teacherSince;
  if (cfg.teacherWeight > 0 && !teacher && !quiet) process.stderr.write(`fitting the ${TEACHER.order}-gram teacher (${TEACHER.folds} folds)…\n`);
  // Shards: streams split evenly; each has its own seed for where its streams start.
  const shards: ShardHandle[] = [];
  for (let i = 0; i < cfg.threads; i++) {
    const spec = { config, theta, text, batch: cfg.batch, window: cfg.window, seed: cfg.seed * 1000 + i, teacherWeight: cfg.teacherWeight, l2Units: cfg.l2Units, ...(teacher ? { teacherModel: { config: teacher.file.config, weights: teacher.file.weights } } : {}) };
    shards.push(cfg.threads === 1 ? localShard(await makeShard(spec)) : threadShard(spec));
  }
  if (restored) await Promise.all(shards.map((s, i) => s.restore({ ...restored!.shards[i], theta: restored!.theta, momentum: restored!.momentum })));

  const K = config.experts;
  const mod = await kernelsWasm();
  const validate = async (w: Float32Array) => {
    const file = await readSoma(await writeSoma(config, w, provenance(run, null, cfg, corpus)));
    const session = await Session.create(file, 'wasm-simd', mod);
    return Object.fromEntries(Object.entries(vals).map(([name, bytes]) => [name, natsPerChar(session, bytes)]));
  };
  const checkpoint = async (val: Record<string, number> | null) => {
    const snap = await Promise.all(shards.map((s) => s.snapshot()));
    const w = snap[0].theta;
    atomicWrite(join(outDir, 'soma.bin'), await writeSoma(config, w, provenance(run, val, cfg, corpus)));
    saveState(statePath, run, w, snap[0].momentum, snap);
    atomicWrite(join(outDir, 'run.json'), JSON.stringify(run)); // what --resume needs beside soma.bin when state.bin is gone
    return w;
  };

  let stop = false;
  const onSignal = () => (stop = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  const wall0 = run.wallSeconds;
  const wall = () => wall0 + (performance.now() - t0) / 1000;
  let lastEval = wall(), lastCkpt = wall(), lastBar = 0;
  let trainLoss = NaN, maxLoad = 0;
  const stepsAtStart = run.step;
  const tokensAtStart = run.tokens;

  const evaluateAndLog = async () => {
    const w = await checkpoint(null);
    const val = await validate(w);
    run.history.push({ step: run.step, tokens: run.tokens, val });
    atomicWrite(join(outDir, 'run.json'), JSON.stringify(run)); // with this evaluation in its history
    const mean = TRAINING_VAL_SPLITS.reduce((s, k) => s + val[k], 0) / TRAINING_VAL_SPLITS.length;
    appendFileSync(join(outDir, 'log.csv'), `${run.step},${run.tokens},${wall().toFixed(1)},${trainLoss.toFixed(4)},${lrAt(cfg, run.step).toExponential(3)},${TRAINING_VAL_SPLITS.map((k) => val[k].toFixed(4)).join(',')},${maxLoad.toFixed(3)}\n`);
    const prov = provenance(run, val, cfg, corpus);
    atomicWrite(join(outDir, 'soma.bin'), await writeSoma(config, w, prov));
    if (mean < run.best) {
      run.best = mean;
      atomicWrite(join(outDir, 'best.bin'), await writeSoma(config, w, prov));
    }
    // Against all the bytes the weights have seen, those of --init's weights included.
    const series = TRAINING_VAL_SPLITS.map((k) => ({ name: k, points: run.history.map((h) => [h.tokens + (run.init?.tokens ?? 0), h.val[k]] as [number, number]) }));
    atomicWrite(join(outDir, 'curve.svg'), svgPlot(series, 'SOMA: validation nats/char (SPSA, forward passes only)', 'training bytes', 'nats/char'));
    if (!quiet) process.stderr.write(`\nstep ${run.step}: val ${TRAINING_VAL_SPLITS.map((k) => `${k} ${val[k].toFixed(4)}`).join(', ')}\n`);
  };

  // fp16 snapshots for the app's time-lapse (soma timelapse), named by the bytes of training text seen.
  const keepSnapshot = async () => {
    if (run.tokens < nextSnapshot(run)) return;
    const snap = await shards[0].snapshot();
    const prov = provenance(run, run.history.at(-1)?.val ?? null, cfg, corpus);
    mkdirSync(join(outDir, 'snapshots'), { recursive: true });
    atomicWrite(join(outDir, 'snapshots', `${String(prov.tokens).padStart(12, '0')}.bin`), await writeSoma(config, snap.theta, prov, 'f16'));
    (run.snapshots ??= []).push(run.tokens);
  };

  if (run.step === 0) {
    await evaluateAndLog();
    await keepSnapshot();
  }
  // Runs stop and checkpoint only between cycles, where no head cache is live, so a resumed run
  // continues exactly as an unbroken one would.
  const between = () => betweenCycles(cfg, run.step);
  while (run.step < cfg.steps && !(between() && (stop || run.step >= stopAt || wall() - wall0 >= minutes * 60))) {
    await new Promise((r) => setImmediate(r)); // let signals (SIGINT, SIGTERM) in between steps
    const report = await spsaStep(cfg, run, shards, K);
    maxLoad = report.maxLoad;
    trainLoss = Number.isNaN(trainLoss) ? report.loss : 0.98 * trainLoss + 0.02 * report.loss;
    run.wallSeconds = wall();

    const now = wall();
    if (!quiet && now - lastBar >= 1) {
      lastBar = now;
      const rate = (run.step - stepsAtStart) / (now - wall0);
      const left = Math.max(0, Math.min((cfg.steps - run.step) / rate, minutes * 60 - (now - wall0)));
      const frac = run.step / cfg.steps;
      const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '.');
      const eta = `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`;
      const byteRate = (run.tokens - tokensAtStart) / (now - wall0) / 1000;
      process.stderr.write(`\r[${bar}] ${run.step}/${cfg.steps} ${rate.toFixed(1)} steps/s ${byteRate.toFixed(1)}K bytes/s loss ${trainLoss.toFixed(3)} max load ${maxLoad.toFixed(2)} ETA ${eta}   `);
    }
    if (!between()) continue;
    await keepSnapshot();
    if (now - lastEval >= cfg.evalSeconds) {
      lastEval = now;
      lastCkpt = now;
      await evaluateAndLog();
    } else if (now - lastCkpt >= cfg.ckptSeconds) {
      lastCkpt = now;
      await checkpoint(run.history.at(-1)?.val ?? null);
    }
  }
  await evaluateAndLog();
  await Promise.all(shards.map((s) => s.close()));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (!quiet) process.stderr.write(`\nstopped at step ${run.step}; ${paramCount(config)} params; checkpoint in ${outDir}\n`);
}
