// timelapse/index.json: the frames of one training run that the app lets a user scrub through.
// `soma timelapse` writes it beside the frames (fp16 soma.bin files); the app reads it, trusting
// nothing: a malformed index ends in one TimelapseError with a clear message.

export const TIMELAPSE_VERSION = 1;
export const MAX_FRAMES = 32;

export interface TimelapseFrame {
  file: string; // the frame's soma.bin, beside index.json: 12 digits of `tokens`, then .bin
  tokens: number; // bytes of training text the weights had seen
  steps: number; // SPSA steps taken
  fileBytes: number;
  sha256: string; // of the payload, as in the file's own header
  valNatsPerChar: Record<string, number>; // on the first valBytes of each held-out split
}

export interface TimelapseIndex {
  version: number;
  run: string; // how the run trained, in words
  valBytes: number;
  frames: TimelapseFrame[]; // by tokens, ascending
}

export class TimelapseError extends Error {
  override name = 'TimelapseError';
}

const fail = (msg: string): never => {
  throw new TimelapseError(`timelapse/index.json: ${msg}`);
};

const count = (v: unknown, what: string): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${what} must be a non-negative integer, got ${JSON.stringify(v)}`));

/** Checks an index read from the network. */
export function parseTimelapseIndex(json: unknown): TimelapseIndex {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.version !== TIMELAPSE_VERSION) fail(`version ${JSON.stringify(o.version)} is not supported (this build reads ${TIMELAPSE_VERSION})`);
  if (typeof o.run !== 'string') fail('run must be a string');
  const valBytes = count(o.valBytes, 'valBytes');
  if (!Array.isArray(o.frames) || o.frames.length === 0 || o.frames.length > MAX_FRAMES) fail(`frames must be a list of 1 to ${MAX_FRAMES}`);
  const frames = (o.frames as unknown[]).map((f, i): TimelapseFrame => {
    if (typeof f !== 'object' || f === null) return fail(`frame ${i} is not an object`);
    const r = f as Record<string, unknown>;
    const tokens = count(r.tokens, `frame ${i}: tokens`);
    if (r.file !== `${String(tokens).padStart(12, '0')}.bin`) fail(`frame ${i}: file must be its tokens in 12 digits then .bin, got ${JSON.stringify(r.file)}`);
    if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) fail(`frame ${i}: sha256 must be 64 lowercase hex digits`);
    const val = r.valNatsPerChar;
    if (typeof val !== 'object' || val === null || Array.isArray(val) || Object.values(val).some((v) => typeof v !== 'number' || !Number.isFinite(v)))
      fail(`frame ${i}: valNatsPerChar must map split names to numbers`);
    return { file: r.file as string, tokens, steps: count(r.steps, `frame ${i}: steps`), fileBytes: count(r.fileBytes, `frame ${i}: fileBytes`), sha256: r.sha256 as string, valNatsPerChar: val as Record<string, number> };
  });
  for (let i = 1; i < frames.length; i++) if (frames[i].tokens <= frames[i - 1].tokens) fail('frames must go by tokens, ascending');
  return { version: TIMELAPSE_VERSION, run: o.run as string, valBytes, frames };
}

/**
 * Picks at most n frames from candidates sorted by tokens: always the first and the last, and
 * between them the ones nearest to points spaced evenly in log(tokens).
 */
export function pickLogSpaced<T extends { tokens: number }>(candidates: T[], n: number): T[] {
  if (candidates.length <= n) return candidates.slice();
  const first = candidates[0];
  const last = candidates[candidates.length - 1];
  const lo = Math.log(Math.max(1, candidates[1].tokens));
  const hi = Math.log(last.tokens);
  const chosen = new Set<T>([first, last]);
  for (let k = 1; chosen.size < n && k <= n - 2; k++) {
    const target = lo + ((hi - lo) * (k - 1)) / (n - 2); // the last target stops short of the last frame
    let best: T | undefined;
    for (const c of candidates)
      if (!chosen.has(c) && c.tokens > 0 && (!best || Math.abs(Math.log(c.tokens) - target) < Math.abs(Math.log(best.tokens) - target))) best = c;
    if (best) chosen.add(best);
  }
  return candidates.filter((c) => chosen.has(c));
}
