// Byte n-gram language models with interpolated modified Kneser-Ney smoothing (Chen & Goodman:
// three discounts D1, D2, D3+ per order, estimated from count-of-counts; raw counts at the model's
// highest order, continuation counts below it; the unigram level interpolates with the uniform
// distribution over 256 bytes).
//
// Counts live in sorted typed arrays: an n-gram of up to 6 bytes is packed big-endian into one
// double (exact up to 2^53), sorted numerically, run-length encoded, and found again by binary
// search. Pure functions, no I/O; unit-tested in tests/train/kneser-ney.test.ts.


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

/**
 * The whole next-byte distribution of a model after a context, for many calls on one model (the
 * trainer's teacher asks once per byte it trains on): the same numbers as fillProbs' top order for
 * every byte, in one pass over each order's successors of the context instead of 256 look-ups. Each
 * k-gram's last byte and discounted share of its context are precomputed, and the lower
 * distribution after orders 1 and 2 is tabled for each 1-byte context.
 */
export class KnDistributions {
  private readonly next: Uint8Array[]; // [k - 1]: each k-gram's last byte
  private readonly share: Float64Array[]; // [k - 1]: each k-gram's (count − D) / its context's total; raw counts at the top order, continuation below
  private readonly lower2 = new Float64Array(256 * 256); // [c, v]: the continuation distribution after orders 1 and 2, context byte c
  private readonly scratch = new Float64Array(256);

  constructor(private readonly model: KnModel) {
    const top = model.maxOrder;
    this.next = model.tables.map((t) => Uint8Array.from(t.keys, (key) => key % 256));
    this.share = model.tables.map((t) => {
      const share = new Float64Array(t.keys.length);
      const raw = t.order === top, counts = raw ? t.raw : t.cont, sums = raw ? t.rawSum : t.contSum, d = raw ? t.dRaw : t.dCont;
      if (!counts || !d) return share;
      for (let c = 0; c + 1 < t.ctxStart.length; c++)
        for (let i = t.ctxStart[c]; i < t.ctxStart[c + 1]; i++) share[i] = (counts[i] - discountOf(d, counts[i])) / sums[c];
      return share;
    });
    if (top < 3) return;
    const lower = this.scratch;
    for (let c = 0; c < 256; c++) {
      lower.fill(1 / 256);
      for (let k = 1; k <= 2; k++) this.lowerStep(k, c, lower);
      this.lower2.set(lower, c * 256);
    }
  }

  /** Order k's continuation step on `lower` after the context `hist`: an unseen context leaves it as it is. */
  private lowerStep(k: number, hist: number, lower: Float64Array): void {
    const t = this.model.tables[k - 1];
    const ci = search(t.ctxKeys, k === 1 ? 0 : hist % POW256[k - 1], 0, t.ctxKeys.length);
    if (ci < 0 || !(t.contSum[ci] > 0)) return;
    const g = t.contGamma[ci], next = this.next[k - 1], share = this.share[k - 1];
    for (let v = 0; v < 256; v++) lower[v] *= g;
    for (let i = t.ctxStart[ci]; i < t.ctxStart[ci + 1]; i++) lower[next[i]] += share[i];
  }

  /** The model's distribution after the context (`hist`, `avail` as in fillProbs), into out[0 .. 256). */
  fill(hist: number, avail: number, out: Float64Array): void {
    const top = Math.min(this.model.maxOrder, avail + 1); // the order fillProbs' top order falls back to
    const lower = this.scratch;
    if (top >= 3) lower.set(this.lower2.subarray((hist % 256) * 256, (hist % 256 + 1) * 256));
    else lower.fill(1 / 256);
    for (let k = top >= 3 ? 3 : 1; k < top; k++) this.lowerStep(k, hist, lower);
    // The top order reads raw counts: shared precomputed at the model's own top, computed below it (a text's first bytes).
    const t = this.model.tables[top - 1];
    const ci = search(t.ctxKeys, top === 1 ? 0 : hist % POW256[top - 1], 0, t.ctxKeys.length);
    if (ci < 0) {
      out.set(lower);
      return;
    }
    const g = t.rawGamma[ci], next = this.next[top - 1], share = this.share[top - 1], own = top === this.model.maxOrder;
    for (let v = 0; v < 256; v++) out[v] = g * lower[v];
    for (let i = t.ctxStart[ci]; i < t.ctxStart[ci + 1]; i++) out[next[i]] += own ? share[i] : (t.raw[i] - discountOf(t.dRaw, t.raw[i])) / t.rawSum[ci];
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
