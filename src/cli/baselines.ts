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
//
// Counts live in sorted typed arrays: an n-gram of up to 6 bytes is packed big-endian into one
// double (exact up to 2^53), sorted numerically, run-length encoded, and found again by binary
// search. Nothing is cached; the compressors write to a pipe, no file is written.
//
// Node-only (child_process, fs): app code must not import this file. The model functions are
// exported, pure, and unit-tested in tests/cli/baselines.test.ts. See docs/baselines.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countChars } from '../model/utf8';
import { parseArgs, stringFlag, UsageError } from './args';
import { CORPUS_DIR, SPLITS, valFile } from './paths';

// ---------------------------------------------------------------------------------------------
// Kneser-Ney byte n-gram model
// ---------------------------------------------------------------------------------------------

/** The highest order supported: 5 context bytes + 1 predicted byte = 48 bits, exact in a double. */
export const MAX_SUPPORTED_ORDER = 6;

/** 256^k for k = 0..6, exact doubles. */
const POW256 = Array.from({ length: MAX_SUPPORTED_ORDER + 1 }, (_, k) => 256 ** k);

/** The three discounts of modified KN: for counts 1, 2 and 3 or more. */
export type Discounts = [number, number, number];

/** The counts of one order k: every k-gram seen in training, grouped by its (k-1)-byte context. */
export interface OrderTable {
  order: number;
  /** Distinct k-grams, packed big-endian (first byte most significant), ascending. */
  keys: Float64Array;
  /** Occurrences of each k-gram in the training text. */
  raw: Uint32Array;
  /** Continuation counts: distinct bytes seen before each k-gram (null at the model's top order). */
  cont: Uint32Array | null;
  /** Distinct contexts (the k-grams' first k-1 bytes, packed), ascending. */
  ctxKeys: Float64Array;
  /** keys[ctxStart[c] .. ctxStart[c+1]) are the k-grams of context c. */
  ctxStart: Uint32Array;
  /** Per context: total raw count, and the back-off weight gamma = discounted mass / total. */
  rawSum: Float64Array;
  rawGamma: Float64Array;
  /** The same over continuation counts (empty at the top order). */
  contSum: Float64Array;
  contGamma: Float64Array;
  dRaw: Discounts;
  dCont: Discounts | null;
}

export interface KnModel {
  maxOrder: number;
  /** tables[k - 1] holds order k. */
  tables: OrderTable[];
}

/**
 * Modified KN discounts from count-of-counts n1..n4 (Chen & Goodman 1998):
 * Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3.
 * A value the formula cannot give (tiny texts: an n_r of zero) falls back to 0.5 r; each D_r is
 * kept within (0, r], so a count never goes negative and the discounted mass is exactly D_r.
 */
export function estimateDiscounts(n1: number, n2: number, n3: number, n4: number): Discounts {
  const y = n1 / (n1 + 2 * n2);
  const raw = [1 - (2 * y * n2) / n1, 2 - (3 * y * n3) / n2, 3 - (4 * y * n4) / n3];
  return raw.map((d, i) => {
    const r = i + 1;
    if (!Number.isFinite(d) || d <= 0) return 0.5 * r;
    return Math.min(d, r);
  }) as Discounts;
}

const discountOf = (d: Discounts, c: number): number => (c === 0 ? 0 : c === 1 ? d[0] : c === 2 ? d[1] : d[2]);

/** Sorted distinct values of a numeric typed array (sorted in place) and how often each occurs. */
function runLength(sorted: Float64Array | Uint32Array): { keys: Float64Array; counts: Uint32Array } {
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const keys = new Float64Array(distinct);
  const counts = new Uint32Array(distinct);
  let j = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) keys[++j] = sorted[i];
    counts[j]++;
  }
  return { keys, counts };
}

/** Every k-gram of the text, packed, sorted and counted. */
function countKgrams(text: Uint8Array, k: number): { keys: Float64Array; counts: Uint32Array } {
  const n = Math.max(0, text.length - k + 1);
  if (k <= 4) {
    // Keys below 2^32: a Uint32Array sorts faster and takes half the memory.
    const mask = k === 4 ? 0xffffffff : POW256[k] - 1;
    const arr = new Uint32Array(n);
    let key = 0;
    for (let i = 0; i < text.length; i++) {
      key = ((key << 8) | text[i]) & mask;
      if (i >= k - 1) arr[i - k + 1] = key >>> 0;
    }
    return runLength(arr.sort());
  }
  const mod = POW256[k - 1];
  const arr = new Float64Array(n);
  let key = 0;
  for (let i = 0; i < text.length; i++) {
    key = (key % mod) * 256 + text[i];
    if (i >= k - 1) arr[i - k + 1] = key;
  }
  return runLength(arr.sort());
}

/**
 * Continuation counts of the k-grams `keys`: for each, how many distinct (k+1)-grams end with it,
 * i.e. how many distinct bytes precede it in the training text.
 */
function continuationCounts(keys: Float64Array, higherKeys: Float64Array, k: number): Uint32Array {
  const mod = POW256[k];
  const suffixes = k <= 4 ? new Uint32Array(higherKeys.length) : new Float64Array(higherKeys.length);
  for (let i = 0; i < higherKeys.length; i++) suffixes[i] = higherKeys[i] % mod;
  const { keys: sk, counts: sc } = runLength(suffixes.sort());
  const cont = new Uint32Array(keys.length);
  let j = 0;
  for (let i = 0; i < sk.length; i++) {
    while (keys[j] !== sk[i]) j++; // every suffix of a seen (k+1)-gram is a seen k-gram
    cont[j] = sc[i];
  }
  return cont;
}

/** Count-of-counts n1..n4 of a count array (zeros ignored). */
function countOfCounts(counts: Uint32Array): [number, number, number, number] {
  const n = [0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) if (counts[i] >= 1 && counts[i] <= 4) n[counts[i] - 1]++;
  return n as [number, number, number, number];
}

/** Per-context totals and back-off weights of one kind of count. */
function contextStats(
  counts: Uint32Array,
  ctxStart: Uint32Array,
  d: Discounts,
): { sum: Float64Array; gamma: Float64Array } {
  const nctx = ctxStart.length - 1;
  const sum = new Float64Array(nctx);
  const gamma = new Float64Array(nctx);
  for (let c = 0; c < nctx; c++) {
    let s = 0;
    let g = 0;
    for (let i = ctxStart[c]; i < ctxStart[c + 1]; i++) {
      s += counts[i];
      g += discountOf(d, counts[i]);
    }
    sum[c] = s;
    gamma[c] = s > 0 ? g / s : 0;
  }
  return { sum, gamma };
}

/**
 * Trains a byte n-gram model of orders 1..maxOrder with interpolated modified Kneser-Ney.
 * `onOrder` reports progress (an order's tables are done).
 */
export function trainKn(text: Uint8Array, maxOrder = 5, onOrder?: (k: number, distinct: number) => void): KnModel {
  if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > MAX_SUPPORTED_ORDER)
    throw new RangeError(`maxOrder must be an integer in [1, ${MAX_SUPPORTED_ORDER}], got ${maxOrder}`);
  // Highest order first: continuation counts of order k come from the distinct (k+1)-grams.
  const counted: { keys: Float64Array; counts: Uint32Array }[] = new Array(maxOrder);
  const tables: OrderTable[] = new Array(maxOrder);
  for (let k = maxOrder; k >= 1; k--) {
    counted[k - 1] = countKgrams(text, k);
    const { keys, counts: raw } = counted[k - 1];
    const cont = k < maxOrder ? continuationCounts(keys, counted[k].keys, k) : null;

    let nctx = 0;
    for (let i = 0; i < keys.length; i++) if (i === 0 || Math.floor(keys[i] / 256) !== Math.floor(keys[i - 1] / 256)) nctx++;
    const ctxKeys = new Float64Array(nctx);
    const ctxStart = new Uint32Array(nctx + 1);
    let c = -1;
    for (let i = 0; i < keys.length; i++) {
      const ctx = Math.floor(keys[i] / 256);
      if (c < 0 || ctx !== ctxKeys[c]) {
        ctxKeys[++c] = ctx;
        ctxStart[c] = i;
      }
    }
    ctxStart[nctx] = keys.length;

    const dRaw = estimateDiscounts(...countOfCounts(raw));
    const rs = contextStats(raw, ctxStart, dRaw);
    const dCont = cont ? estimateDiscounts(...countOfCounts(cont)) : null;
    const cs = cont && dCont ? contextStats(cont, ctxStart, dCont) : { sum: new Float64Array(0), gamma: new Float64Array(0) };
    tables[k - 1] = {
      order: k,
      keys,
      raw,
      cont,
      ctxKeys,
      ctxStart,
      rawSum: rs.sum,
      rawGamma: rs.gamma,
      contSum: cs.sum,
      contGamma: cs.gamma,
      dRaw,
      dCont,
    };
    onOrder?.(k, keys.length);
  }
  return { maxOrder, tables };
}

/** Index of `x` in the ascending array a[lo .. hi), or -1. */
function search(a: Float64Array, x: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid];
    if (v < x) lo = mid + 1;
    else if (v > x) hi = mid;
    else return mid;
  }
  return -1;
}

/**
 * The core of the model, shared by evaluation and the tests. `hist` packs the last `avail` bytes
 * before the predicted byte `w` (most recent least significant; avail <= maxOrder - 1). Fills
 * out[n] (n = 1..maxOrder) with P(w | context) under the order-n model: raw-count KN at order n
 * over continuation-count KN at orders n-1..1 over uniform 1/256. Where fewer than n-1 context
 * bytes are available (the start of a text) the order-n model uses the shorter context, i.e. it is
 * the model of order avail+1.
 */
export function fillProbs(model: KnModel, hist: number, avail: number, w: number, out: Float64Array): void {
  let lower = 1 / 256; // continuation-count probability of the order below (order 0: uniform)
  for (let k = 1; k <= model.maxOrder; k++) {
    if (k - 1 > avail) {
      out[k] = out[k - 1];
      continue;
    }
    const t = model.tables[k - 1];
    const ctx = k === 1 ? 0 : hist % POW256[k - 1];
    const ci = search(t.ctxKeys, ctx, 0, t.ctxKeys.length);
    if (ci < 0) {
      out[k] = lower; // unseen context: all mass to the lower order
      continue; // and the continuation distribution is the lower one too
    }
    const idx = search(t.keys, ctx * 256 + w, t.ctxStart[ci], t.ctxStart[ci + 1]);
    const c = idx >= 0 ? t.raw[idx] : 0;
    out[k] = (c - discountOf(t.dRaw, c)) / t.rawSum[ci] + t.rawGamma[ci] * lower;
    if (t.cont && t.dCont) {
      const s = t.contSum[ci];
      if (s > 0) {
        const cc = idx >= 0 ? t.cont[idx] : 0;
        lower = (cc - discountOf(t.dCont, cc)) / s + t.contGamma[ci] * lower;
      }
    }
  }
}

/** Packs the last min(context.length, maxOrder - 1) bytes of `context` for fillProbs. */
function packContext(model: KnModel, context: Uint8Array): { hist: number; avail: number } {
  const avail = Math.min(context.length, model.maxOrder - 1);
  let hist = 0;
  for (let i = context.length - avail; i < context.length; i++) hist = hist * 256 + context[i];
  return { hist, avail };
}

/** P(w | context) under the order-n model (n = 1..maxOrder). */
export function knProb(model: KnModel, context: Uint8Array, w: number, n = model.maxOrder): number {
  const out = new Float64Array(model.maxOrder + 1);
  const { hist, avail } = packContext(model, context);
  fillProbs(model, hist, avail, w, out);
  return out[n];
}

/** The order-n model's distribution over the 256 next bytes after `context`. */
export function knDistribution(model: KnModel, context: Uint8Array, n = model.maxOrder): Float64Array {
  const out = new Float64Array(model.maxOrder + 1);
  const dist = new Float64Array(256);
  const { hist, avail } = packContext(model, context);
  for (let w = 0; w < 256; w++) {
    fillProbs(model, hist, avail, w, out);
    dist[w] = out[n];
  }
  return dist;
}

/**
 * Total nats of `bytes` under each order: result[n - 1] for the order-n model. The context is
 * carried across the text; its first bytes are predicted from the bytes before them only.
 */
export function knCrossEntropy(model: KnModel, bytes: Uint8Array): Float64Array {
  const m = model.maxOrder;
  const out = new Float64Array(m + 1);
  const totals = new Float64Array(m);
  const mod = POW256[m - 1];
  let hist = 0;
  for (let i = 0; i < bytes.length; i++) {
    const w = bytes[i];
    fillProbs(model, hist, Math.min(i, m - 1), w, out);
    for (let n = 1; n <= m; n++) totals[n - 1] -= Math.log(out[n]);
    hist = m > 1 ? (hist * 256 + w) % mod : 0;
  }
  return totals;
}

/** Largest |sum - 1| over the distributions of every order after each given context. */
export function maxNormalisationError(model: KnModel, contexts: Uint8Array[]): number {
  let worst = 0;
  for (const ctx of contexts) {
    for (let n = 1; n <= model.maxOrder; n++) {
      const dist = knDistribution(model, ctx, n);
      let s = 0;
      for (let w = 0; w < 256; w++) s += dist[w];
      worst = Math.max(worst, Math.abs(s - 1));
    }
  }
  return worst;
}

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
