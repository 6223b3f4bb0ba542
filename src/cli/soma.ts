// The `soma` command (Node only): every subcommand is listed in USAGE below.
import { writeFile } from 'node:fs/promises';
import { DEFAULT_CONFIG, flopsPerByte, paramCount } from '../model/config';
import { SomaFormatError, readSoma, writeSoma } from '../model/format';
import { initWeights } from '../model/init';
import type { Backend } from '../model/kernels';
import { DEFAULT_SAMPLING, SAMPLING_LIMITS } from '../model/sampler';
import { Utf8Stream, encodeUtf8 } from '../model/utf8';
import { MAX_LENGTH } from '../engine/session';
import { drain } from '../engine/stream-of';
import { type ParsedArgs, UsageError, numberFlag, parseArgs, stringFlag } from './args';
import { DEFAULT_WEIGHTS, nodeEngine, readInput, readWeights } from './node-engine';

const USAGE = `usage: soma <command> [options]

  generate [PROMPT] [--length N --temp T --top-k K --top-p P --repeat R --repeat-window W --seed S
                     --backend wasm|js --weights FILE]
  score FILE [--weights FILE] [--backend wasm|js] [--json]   nats/char of FILE, state carried
  inspect FILE                                               a soma.bin header summary
  init [--out FILE] [--seed S]                               write a seeded, untrained soma.bin
  bench [--json] [--bytes N] [--trainer [--trainer-threads N]]  engine speed: Node, Chromium, native C;
                                                             --trainer: trainer throughput vs native C
  bench --cycle [--weights FILE | --layer2-recurrence full|unit] [--l2-units U]
                                                             where a training cycle's CPU time goes, alone
  train [--data DIR --out DIR --resume --threads N --minutes M ...]  SPSA training (train --help: every setting)
  tune FILE --out OUT.bin [--seconds S --weights FILE --kernels native|wasm --seed N ...]
                                                             fine-tune on FILE's first 90% (SPSA),
                                                             report nats/char on its last 10%; every
                                                             fine-tune setting is a flag (train --help)
  release CHECKPOINT [--data DIR --out FILE --curve SVG]   score every held-out split, ship the weights
  timelapse RUN [--out DIR --frames N --data DIR --val-bytes N]  the app's time-lapse from a run's snapshots
  average A.bin B.bin ... --out FILE                         the mean of the weights of runs of one config
  sample-check [--weights FILE --samples N --length N --temp T --prompt P --words FILE --show --json]
                                                             the share of sampled words that are English words
`;

function backendFlag(a: ParsedArgs): Backend {
  const b = stringFlag(a, 'backend') ?? 'wasm';
  if (b === 'wasm' || b === 'wasm-simd') return 'wasm-simd';
  if (b === 'js') return 'js';
  throw new UsageError(`--backend must be wasm or js, got ${JSON.stringify(b)}`);
}

async function generate(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['length', 'temp', 'top-k', 'top-p', 'repeat', 'repeat-window', 'seed', 'backend', 'weights'], booleans: [] });
  if (a.positionals.length > 1) throw new UsageError('generate takes at most one PROMPT (quote it)');
  const L = SAMPLING_LIMITS;
  const req = {
    length: numberFlag(a, 'length', 400, 1, MAX_LENGTH, true),
    temperature: numberFlag(a, 'temp', DEFAULT_SAMPLING.temperature, ...L.temperature),
    topK: numberFlag(a, 'top-k', DEFAULT_SAMPLING.topK, ...L.topK, true),
    topP: numberFlag(a, 'top-p', DEFAULT_SAMPLING.topP, ...L.topP),
    repeatPenalty: numberFlag(a, 'repeat', DEFAULT_SAMPLING.repeatPenalty, ...L.repeatPenalty),
    repeatWindow: numberFlag(a, 'repeat-window', DEFAULT_SAMPLING.repeatWindow, ...L.repeatWindow, true),
    seed: numberFlag(a, 'seed', DEFAULT_SAMPLING.seed, ...L.seed, true),
  };
  const engine = nodeEngine();
  await engine.load(await readWeights(stringFlag(a, 'weights')), backendFlag(a));
  const prompt = a.positionals[0] ?? '';
  const out = new Utf8Stream();
  process.stdout.write(prompt);
  for await (const chunk of engine.generate(encodeUtf8(prompt), { ...req, continue: false })) {
    if (process.stdout.destroyed) return; // the reader went away (`| head`): stop generating, not only writing
    process.stdout.write(out.push(chunk.bytes));
  }
  process.stdout.write(out.end() + '\n');
}

async function score(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['weights', 'backend'], booleans: ['json'] });
  if (a.positionals.length !== 1) throw new UsageError('score takes one FILE');
  const path = a.positionals[0];
  const text = await readInput(path, 'text file');
  if (text.length === 0) throw new UsageError(`${path} is empty: nothing to score`);
  const weightsPath = stringFlag(a, 'weights') ?? DEFAULT_WEIGHTS;
  // The engine's own limit on a text is the page's, which keeps every byte's figures: this keeps none.
  const engine = nodeEngine({ maxScoreBytes: Infinity });
  const { info } = await engine.load(await readWeights(weightsPath), backendFlag(a));
  const { nats, chars, ms } = await drain(engine.score(text));
  const seconds = ms / 1000;
  const result = { file: path, weights: weightsPath, bytes: text.length, chars, nats, nats_per_char: nats / chars, bits_per_byte: nats / Math.LN2 / text.length, seconds, backend: info.backend };
  if (a.flags.has('json')) console.log(JSON.stringify(result));
  else {
    console.log(`${path}: ${text.length} bytes, ${chars} chars, ${seconds.toFixed(1)} s on ${info.backend}`);
    console.log(`bits/byte: ${result.bits_per_byte.toFixed(4)}`);
    console.log(`nats/char: ${result.nats_per_char.toFixed(4)}`);
  }
}

async function inspect(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: [], booleans: ['json'] });
  if (a.positionals.length !== 1) throw new UsageError('inspect takes one FILE');
  const f = await readSoma(await readInput(a.positionals[0], 'weights'));
  if (a.flags.has('json')) {
    console.log(JSON.stringify({ version: f.version, fileBytes: f.fileBytes, sha256: f.sha256, params: paramCount(f.config), config: f.config, provenance: f.provenance }));
    return;
  }
  const c = f.config;
  const p = f.provenance;
  console.log(`soma.bin v${f.version}, ${f.fileBytes} bytes, sha256 ${f.sha256}`);
  console.log(`params: ${paramCount(c)} (${((paramCount(c) * 4) / 1e6).toFixed(2)} MB fp32), ${flopsPerByte(c)} FLOPs/byte`);
  console.log(`config: embed ${c.embed}, router LSTM ${c.routerHidden}, ${c.experts} experts × (2-layer LSTM ${c.expertHidden}${c.layer2Recurrence === 'unit' ? ' (layer 2 element-wise: each unit reads its own state)' : ''} + GELU MLP ${c.mlpHidden} reading ${c.decoderInput}), bos ${c.bos}`);
  console.log(`trained: ${p.trained ? 'yes' : 'no'} — ${p.method}`);
  console.log(`steps: ${p.steps}, tokens: ${p.tokens}, corpus: ${p.corpus ?? 'none'}`);
  const val = p.valNatsPerChar ? Object.entries(p.valNatsPerChar).map(([k, v]) => `${k} ${Number(v).toFixed(4)}`).join(', ') : 'none';
  console.log(`validation nats/char: ${val}${p.valMeasuredOn ? ` (${p.valMeasuredOn})` : ''}`);
  if (p.outsideNatsPerChar) console.log(`outside the corpus, nats/char: ${Object.entries(p.outsideNatsPerChar).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
  if (p.notes) console.log(`notes: ${p.notes}`);
}

async function init(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['out', 'seed'], booleans: [] });
  if (a.positionals.length) throw new UsageError('init takes no positional arguments');
  const seed = numberFlag(a, 'seed', 1, 0, 0xffffffff, true);
  const out = stringFlag(a, 'out') ?? DEFAULT_WEIGHTS;
  const bytes = await writeSoma(DEFAULT_CONFIG, initWeights(DEFAULT_CONFIG, seed), {
    trained: false,
    method: 'untrained: seeded random initialisation',
    steps: 0,
    tokens: 0,
    corpus: null,
    valNatsPerChar: null,
    seed,
    notes: 'Placeholder weights until an SPSA-trained model ships. Output is noise.',
  });
  await writeFile(out, bytes);
  console.log(`wrote ${out}: ${bytes.length} bytes, ${paramCount(DEFAULT_CONFIG)} params, seed ${seed}`);
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'generate': await generate(rest); break;
      case 'score': await score(rest); break;
      case 'inspect': await inspect(rest); break;
      case 'init': await init(rest); break;
      case 'bench': await (await import('./bench')).bench(rest); break;
      case 'train': await (await import('./train')).train(rest); break;
      case 'tune': await (await import('./tune')).tune(rest); break;
      case 'release': await (await import('./release')).release(rest); break;
      case 'timelapse': await (await import('./timelapse')).timelapse(rest); break;
      case 'average': await (await import('./average')).average(rest); break;
      case 'sample-check': await (await import('./sample-check')).sampleCheck(rest); break;
      case 'help': case '--help': case '-h': process.stdout.write(USAGE); return 0;
      case undefined: process.stderr.write(USAGE); return 2;
      default: throw new UsageError(`unknown command ${JSON.stringify(cmd)} (try: soma help)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof SomaFormatError || e instanceof RangeError) {
      process.stderr.write(`soma: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
