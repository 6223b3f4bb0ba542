// soma.bin: one reader and one writer, for the browser and for Node.
//
//   bytes 0..3    magic "SOMA"
//   bytes 4..7    format version, u32 little-endian (this code reads and writes 1)
//   bytes 8..11   header length in bytes, u32 little-endian (at most 1 MiB)
//   header        UTF-8 JSON: config, tensor table, payload size, SHA-256 of the payload, provenance
//   zero padding  to a multiple of 64 bytes
//   payload       little-endian tensors at the table's byte offsets (64-byte aligned): fp32, or fp16
//                 for the time-lapse snapshots (read back as fp32)
//
// The reader trusts nothing: every malformed file ends in one SomaFormatError with a clear message.
import { type SomaConfig, configError, numel, tensorSpecs, withConfigDefaults } from './config';
import { HALF_MAX, fromHalfBits, toHalfBits } from './half';
import { weightLayout } from './weights';

export const MAGIC = 'SOMA';
export const FORMAT_VERSION = 1;
export const MAX_HEADER_BYTES = 1 << 20;
const PREAMBLE = 12;
const PAYLOAD_ALIGN = 64;

export interface Provenance {
  trained: boolean;
  method: string; // how the weights came to be, e.g. "seeded random init" or "SPSA (...)"
  steps: number;
  tokens: number; // bytes of training text seen
  corpus: string | null;
  valNatsPerChar: Record<string, number> | null; // per validation split
  valMeasuredOn?: string; // what of each split valNatsPerChar was measured on
  outsideNatsPerChar?: Record<string, number>; // on English from outside the corpus, which training never reads
  /** Part of every byte's target came from a count model (not SPSA), from a step of the run on. */
  softTargets?: { teacher: string; weight: number; fromStep: number };
  seed?: number;
  notes?: string;
  created?: string; // ISO date
  [extra: string]: unknown;
}

export type Dtype = 'f32' | 'f16';
const DTYPE_BYTES: Record<Dtype, number> = { f32: 4, f16: 2 };

/** fp16 bits → fp32, all 65536 of them, built on first use. */
let halfTable: Float32Array | undefined;
const halfToFloat = () => (halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalfBits(h)));

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: Dtype;
  offset: number; // bytes from the start of the payload
}

export interface SomaHeader {
  config: SomaConfig;
  tensors: TensorEntry[];
  payloadBytes: number;
  sha256: string;
  provenance: Provenance;
}

export interface SomaFile {
  version: number;
  header: SomaHeader;
  config: SomaConfig;
  provenance: Provenance;
  sha256: string;
  weights: Float32Array; // the flat weight array, laid out by weightLayout(config)
  fileBytes: number;
}

export class SomaFormatError extends Error {
  override name = 'SomaFormatError';
}

const fail = (msg: string): never => {
  throw new SomaFormatError(`soma.bin: ${msg}`);
};

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Where a tensor first holds NaN or ±Infinity, said as an error; null when it holds none. */
function firstNonFinite(w: Float32Array, offset: number, size: number, name: string): string | null {
  // The engine's own scans (includes finds NaN too): a loop here ran cold, 20 to 30 ms on a worker's start.
  const t = w.subarray(offset, offset + size);
  if (!t.includes(Number.NaN) && !t.includes(Number.POSITIVE_INFINITY) && !t.includes(Number.NEGATIVE_INFINITY)) return null;
  const i = t.findIndex((x) => !Number.isFinite(x));
  return `tensor ${name} holds ${t[i]} at index ${i}`;
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;
const isLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reads and validates a soma.bin. Throws SomaFormatError for anything malformed. */
export async function readSoma(input: ArrayBuffer | Uint8Array): Promise<SomaFile> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < PREAMBLE) fail(`truncated: ${bytes.length} bytes is too short to be a soma.bin`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MAGIC) fail(`bad magic ${JSON.stringify(magic)}: this is not a soma.bin file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version} is not supported (this build reads version ${FORMAT_VERSION})`);
  const headerBytes = view.getUint32(8, true);
  if (headerBytes > MAX_HEADER_BYTES) fail(`header of ${headerBytes} bytes is over the limit of ${MAX_HEADER_BYTES}`);
  if (PREAMBLE + headerBytes > bytes.length) fail(`truncated: the header needs ${headerBytes} bytes, the file has ${bytes.length - PREAMBLE} after the preamble`);

  let header: SomaHeader;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerBytes));
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  header.config = withConfigDefaults(header.config) as SomaConfig;
  const cfgErr = configError(header.config);
  if (cfgErr) fail(cfgErr);
  const config = header.config;

  const payloadStart = alignUp(PREAMBLE + headerBytes, PAYLOAD_ALIGN);
  const { payloadBytes } = header;
  if (!Number.isSafeInteger(payloadBytes) || payloadBytes < 0) fail(`payloadBytes must be a non-negative integer, got ${JSON.stringify(payloadBytes)}`);
  if (payloadStart + payloadBytes > bytes.length) fail(`truncated: expected ${payloadStart + payloadBytes} bytes, the file has ${bytes.length}`);
  if (payloadStart + payloadBytes < bytes.length) fail(`${bytes.length - payloadStart - payloadBytes} unexpected bytes after the payload`);

  // The tensor table must list exactly the tensors the config implies, with their shapes.
  const expected = tensorSpecs(config);
  if (!Array.isArray(header.tensors)) fail('tensors is not an array');
  if (header.tensors.length !== expected.length) fail(`the tensor table has ${header.tensors.length} entries, the config needs ${expected.length}`);
  const layout = weightLayout(config);
  const seen = new Set<string>();
  const spans: [number, number, string][] = [];
  for (const t of header.tensors) {
    if (typeof t !== 'object' || t === null) fail('a tensor entry is not an object');
    const name = String(t.name);
    const slot = layout.byName.get(name);
    if (!slot) fail(`unknown tensor ${JSON.stringify(t.name)}`);
    if (seen.has(name)) fail(`tensor ${name} is listed twice`);
    seen.add(name);
    if (t.dtype !== 'f32' && t.dtype !== 'f16') fail(`tensor ${name} has dtype ${JSON.stringify(t.dtype)}, only f32 and f16 are supported`);
    const size = DTYPE_BYTES[t.dtype];
    if (!Array.isArray(t.shape) || t.shape.length !== slot!.shape.length || t.shape.some((d, i) => d !== slot!.shape[i]))
      fail(`tensor ${name} has shape ${JSON.stringify(t.shape)}, the config needs [${slot!.shape.join(', ')}]`);
    if (!Number.isSafeInteger(t.offset) || t.offset < 0 || t.offset % size !== 0) fail(`tensor ${name} has a bad offset ${JSON.stringify(t.offset)}`);
    const end = t.offset + numel(slot!.shape) * size;
    if (end > payloadBytes) fail(`tensor ${name} ends at byte ${end}, past the payload's ${payloadBytes} bytes`);
    spans.push([t.offset, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i][0] < spans[i - 1][1]) fail(`tensors ${spans[i - 1][2]} and ${spans[i][2]} overlap`);

  if (typeof header.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(header.sha256)) fail('sha256 must be 64 lowercase hex digits');
  const payload = bytes.subarray(payloadStart, payloadStart + payloadBytes);
  // The hash is started before the tensors are decoded, so the two overlap where a digest runs off
  // this thread; its verdict still comes first, so a damaged file is called damaged, whatever else it breaks.
  const hashing = sha256Hex(payload);
  const weights = new Float32Array(layout.total);
  let nonFinite: string | null = null;
  for (const t of header.tensors) {
    const slot = layout.byName.get(t.name)!;
    const src = payload.subarray(t.offset, t.offset + slot.size * DTYPE_BYTES[t.dtype]);
    if (t.dtype === 'f16') {
      const table = halfToFloat();
      for (let i = 0; i < slot.size; i++) weights[slot.offset + i] = table[src[2 * i] | (src[2 * i + 1] << 8)];
    } else if (isLittleEndian) new Uint8Array(weights.buffer, slot.offset * 4, slot.size * 4).set(src);
    else {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < slot.size; i++) weights[slot.offset + i] = dv.getFloat32(i * 4, true);
    }
    nonFinite ??= firstNonFinite(weights, slot.offset, slot.size, t.name);
  }
  const hash = await hashing;
  if (hash !== header.sha256) fail(`SHA-256 mismatch: the header says ${header.sha256.slice(0, 12)}…, the payload hashes to ${hash.slice(0, 12)}… (corrupt or altered file)`);

  const prov = header.provenance;
  if (typeof prov !== 'object' || prov === null || Array.isArray(prov)) fail('provenance is not an object');
  if (typeof prov.method !== 'string' || typeof prov.trained !== 'boolean') fail('provenance needs a method (string) and trained (boolean)');
  const soft = prov.softTargets;
  if (soft !== undefined && (typeof soft !== 'object' || soft === null || typeof soft.teacher !== 'string' || !(soft.weight > 0 && soft.weight <= 1) || !(Number.isInteger(soft.fromStep) && soft.fromStep >= 0)))
    fail('provenance.softTargets needs a teacher (string), a weight in (0, 1] and a fromStep (an integer ≥ 0)');
  if (nonFinite) fail(nonFinite);
  return { version, header, config, provenance: prov, sha256: hash, weights, fileBytes: bytes.length };
}

/**
 * Writes a soma.bin from a config, its flat weight array (weightLayout order) and provenance.
 * dtype 'f16' rounds every weight to half precision (the time-lapse snapshots).
 */
export async function writeSoma(config: SomaConfig, weights: Float32Array, provenance: Provenance, dtype: Dtype = 'f32'): Promise<Uint8Array> {
  const cfgErr = configError(config);
  if (cfgErr) throw new SomaFormatError(cfgErr);
  const layout = weightLayout(config);
  if (weights.length !== layout.total) throw new SomaFormatError(`weights hold ${weights.length} floats, the config needs ${layout.total}`);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const t of layout.tensors) {
    tensors.push({ name: t.name, shape: t.shape, dtype, offset });
    offset = alignUp(offset + t.size * DTYPE_BYTES[dtype], PAYLOAD_ALIGN);
  }
  const payloadBytes = offset;
  const payload = new Uint8Array(payloadBytes);
  const pv = new DataView(payload.buffer);
  for (let k = 0; k < tensors.length; k++) {
    const slot = layout.tensors[k];
    for (let i = 0; i < slot.size; i++) {
      const v = weights[slot.offset + i];
      if (!Number.isFinite(v)) throw new SomaFormatError(`tensor ${slot.name} holds ${v} at index ${i}`);
      if (dtype === 'f16') {
        if (Math.abs(v) > HALF_MAX) throw new SomaFormatError(`tensor ${slot.name} holds ${v} at index ${i}, beyond fp16's range`);
        pv.setUint16(tensors[k].offset + i * 2, toHalfBits(v), true);
      } else if (!isLittleEndian) pv.setFloat32(tensors[k].offset + i * 4, v, true);
    }
    if (dtype === 'f32' && isLittleEndian) payload.set(new Uint8Array(weights.buffer, weights.byteOffset + slot.offset * 4, slot.size * 4), tensors[k].offset);
  }
  const header: SomaHeader = { config, tensors, payloadBytes, sha256: await sha256Hex(payload), provenance };
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (json.length > MAX_HEADER_BYTES) throw new SomaFormatError('header too large');
  const payloadStart = alignUp(PREAMBLE + json.length, PAYLOAD_ALIGN);
  const out = new Uint8Array(payloadStart + payloadBytes);
  out.set([...MAGIC].map((ch) => ch.charCodeAt(0)), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, PREAMBLE);
  out.set(payload, payloadStart);
  return out;
}
