// `npx tsx src/cli/baselines.ts [--data data/corpus] [--json]`: reference figures for SOMA's
// validation splits, in nats per character (total nats / Unicode code points of the file, as
// countChars counts them):
//
// - byte n-gram language models of orders 1..5 with interpolated modified Kneser-Ney smoothing
//   (Chen & Goodman: three discounts D1, D2, D3+ per order, estimated from count-of-counts; raw
//   counts at the model's highest order, continuation counts below it; the unigram level
//   interpolates with the uniform distribution over 256 bytes), trained on train.txt only and
//   evaluated byte by byte with the context carried across each validation file;
// - `xz -9e` and `bzip2 -9` on each validation file (skipped with a note when a tool is missing).
////
// The n-gram models are in kneser-ney.ts. Node-only (child_process, fs): app code must not import
// this file. See docs/baselines.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countChars } from '../model/utf8';
import { parseArgs, stringFlag, UsageError } from './args';
import { type Discounts, knCrossEntropy, maxNormalisationError, trainKn } from '../train/kneser-ney';
import { CORPUS_DIR, SPLITS, valFile } from './paths';

// ---------------------------------------------------------------------------------------------
// Compressors
// ---------------------------------------------------------------------------------------------

export interface Compressor {
  label: string;
  cmd: string;
  args: string[];
  apt: string;
}

export const COMPRESSORS: Compressor[] = [
  { label: 'xz -9e', cmd: 'xz', args: ['-9e', '-c'], apt: 'xz-utils' },
  { label: 'bzip2 -9', cmd: 'bzip2', args: ['-9', '-c'], apt: 'bzip2' },
];

/** Compressed size in bytes of a file, or a note saying why there is none. */
function compressedSize(comp: Compressor, file: string): number | string {
  const r = spawnSync(comp.cmd, [...comp.args, file], { maxBuffer: 1 << 30 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${comp.cmd} not found (apt-get install -y ${comp.apt}): skipped` : `${comp.cmd}: ${r.error.message}`;
  }
  if (r.status !== 0) return `${comp.cmd} exited with ${r.status}: ${r.stderr.toString().trim()}`;
  return r.stdout.length;
}

/** nats per character of `nats` over a text of `chars` code points; bits per byte likewise. */
export const bitsPerByte = (nats: number, bytes: number): number => nats / Math.LN2 / bytes;
/** A compressed size in bytes as nats: size x 8 x ln 2. */
export const compressedNats = (size: number): number => size * 8 * Math.LN2;

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = 'usage: npx tsx src/cli/baselines.ts [--data data/corpus] [--json]';
const SPLIT_ORDER: readonly string[] = SPLITS;

interface Split {
  name: string;
  file: string;
  bytes: Uint8Array;
  chars: number;
}

interface Cell {
  natsPerChar: number;
  bitsPerByte: number;
  /** Compressors only: the compressed size in bytes. */
  compressedBytes?: number;
}

interface Row {
  method: string;
  cells: Record<string, Cell | null>;
  note?: string;
}

function listSplits(dir: string): Split[] {
  const names = readdirSync(dir)
    .filter((f) => /^val-.+\.txt$/.test(f))
    .map((f) => f.slice(4, -4));
  const rank = (n: string) => (SPLIT_ORDER.includes(n) ? SPLIT_ORDER.indexOf(n) : SPLIT_ORDER.length);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((name) => {
    const file = join(dir, valFile(name));
    const bytes = new Uint8Array(readFileSync(file));
    return { name, file, bytes, chars: countChars(bytes) };
  });
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? '—' : v.toFixed(digits);
}

function table(rows: Row[], splits: Split[], pick: (c: Cell) => number, digits: number): string {
  const w0 = Math.max(6, ...rows.map((r) => r.method.length));
  const widths = splits.map((s) => Math.max(8, s.name.length));
  const lines = [['method'.padEnd(w0), ...splits.map((s, i) => s.name.padStart(widths[i]))].join('  ')];
  for (const r of rows) {
    const cells = splits.map((s, i) => {
      const c = r.cells[s.name];
      return fmt(c ? pick(c) : undefined, digits).padStart(widths[i]);
    });
    lines.push([r.method.padEnd(w0), ...cells].join('  '));
  }
  return lines.join('\n');
}

function main(): void {
  const t0 = performance.now();
  const a = parseArgs(process.argv.slice(2), { values: ['data'], booleans: ['json', 'help'] });
  if (a.flags.has('help')) {
    console.log(USAGE);
    return;
  }
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(a.positionals[0])}\n${USAGE}`);
  const dir = stringFlag(a, 'data') ?? CORPUS_DIR;
  const json = a.flags.has('json');
  const trainFile = join(dir, 'train.txt');
  if (!existsSync(trainFile)) throw new UsageError(`${trainFile} not found: build the corpus with \`npm run corpus\``);
  const log = (msg: string) => process.stderr.write(`${msg}\n`);

  const splits = listSplits(dir);
  if (splits.length === 0) throw new UsageError(`no val-*.txt in ${dir}`);
  const train = new Uint8Array(readFileSync(trainFile));
  const maxOrder = 5;

  const tTrain = performance.now();
  log(`training orders 1..${maxOrder} on ${train.length.toLocaleString('en-US')} bytes of ${trainFile}`);
  const model = trainKn(train, maxOrder, (k, distinct) =>
    log(`  order ${k}: ${distinct.toLocaleString('en-US')} distinct ${k}-grams (${((performance.now() - tTrain) / 1000).toFixed(1)} s)`),
  );
  const trainSeconds = (performance.now() - tTrain) / 1000;

  // Self-check: the distributions after contexts from every split sum to 1.
  const contexts: Uint8Array[] = [new Uint8Array(0)];
  for (const s of splits) for (let i = 0; i < 40; i++) contexts.push(s.bytes.subarray(0, Math.floor((i * s.bytes.length) / 40)));
  const normError = maxNormalisationError(model, contexts);
  if (!(normError < 1e-9)) throw new Error(`KN distributions do not sum to 1 (max error ${normError})`);

  const tEval = performance.now();
  const rows: Row[] = Array.from({ length: maxOrder }, (_, i) => ({
    method: i === 0 ? 'unigram KN' : `${i + 1}-gram KN`,
    cells: {},
  }));
  for (const s of splits) {
    const totals = knCrossEntropy(model, s.bytes);
    for (let n = 1; n <= maxOrder; n++)
      rows[n - 1].cells[s.name] = { natsPerChar: totals[n - 1] / s.chars, bitsPerByte: bitsPerByte(totals[n - 1], s.bytes.length) };
    log(`evaluated ${s.name} (${s.bytes.length.toLocaleString('en-US')} bytes)`);
  }
  const evalSeconds = (performance.now() - tEval) / 1000;

  const tComp = performance.now();
  for (const comp of COMPRESSORS) {
    const row: Row = { method: comp.label, cells: {} };
    for (const s of splits) {
      const size = compressedSize(comp, s.file);
      if (typeof size === 'string') {
        row.note = size;
        row.cells[s.name] = null;
        continue;
      }
      const nats = compressedNats(size);
      row.cells[s.name] = { natsPerChar: nats / s.chars, bitsPerByte: bitsPerByte(nats, s.bytes.length), compressedBytes: size };
    }
    rows.push(row);
  }
  const compSeconds = (performance.now() - tComp) / 1000;

  const seconds = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const knInfo = {
    smoothing: 'interpolated modified Kneser-Ney (D1, D2, D3+ per order from count-of-counts; raw counts at the top order, continuation counts below; uniform 1/256 under the unigram)',
    trainBytes: train.length,
    orders: model.tables.map((t) => ({
      order: t.order,
      distinct: t.keys.length,
      contexts: t.ctxKeys.length,
      discountsRaw: t.dRaw,
      discountsContinuation: t.dCont,
    })),
    maxNormalisationError: normError,
  };

  if (json) {
    const out = {
      data: dir,
      unit: 'nats per character (code points); bitsPerByte also given',
      splits: splits.map((s) => ({ name: s.name, bytes: s.bytes.length, chars: s.chars })),
      kn: knInfo,
      rows: rows.map((r) => ({ method: r.method, ...(r.note ? { note: r.note } : {}), results: r.cells })),
      seconds: { total: seconds, train: trainSeconds, eval: evalSeconds, compressors: compSeconds },
      peakRssMiB,
    };
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  console.log(`nats per character (train: ${dir}/train.txt, ${train.length.toLocaleString('en-US')} bytes)\n`);
  console.log(table(rows, splits, (c) => c.natsPerChar, 4));
  console.log('\nbits per byte\n');
  console.log(table(rows, splits, (c) => c.bitsPerByte, 4));
  for (const r of rows) if (r.note) console.log(`\nnote: ${r.method}: ${r.note}`);
  console.log('\nKN discounts (D1, D2, D3+), top order raw counts / lower orders continuation counts:');
  for (const t of model.tables) {
    const f = (d: Discounts | null) => (d ? d.map((x) => x.toFixed(3)).join(', ') : '—');
    console.log(`  order ${t.order}: ${t.keys.length.toLocaleString('en-US').padStart(11)} distinct; raw ${f(t.dRaw)}; continuation ${f(t.dCont)}`);
  }
  console.log(`\nmax |sum - 1| over ${contexts.length} contexts x ${maxOrder} orders: ${normError.toExponential(1)}`);
  console.log(
    `time ${seconds.toFixed(1)} s (train ${trainSeconds.toFixed(1)} s, eval ${evalSeconds.toFixed(1)} s, compressors ${compSeconds.toFixed(1)} s); peak RSS ${peakRssMiB.toFixed(0)} MiB`,
  );
}

// Run only as a script, so the tests can import the model functions.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`baselines: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
