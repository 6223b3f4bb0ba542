// Node-side loading: soma.bin and the WASM kernels from disk, into the engine (as the app runs it)
// or into a bare Session (the trainer, the release, the time-lapse, the benchmarks and sample-check).
import { readFile } from 'node:fs/promises';
import { readSoma, type SomaFile } from '../model/format';
import type { Backend } from '../model/kernels';
import { LocalEngine, type LocalEngineOptions } from '../engine/local-engine';
import { Session } from '../engine/session';
import { countChars } from '../model/utf8';
import { UsageError } from './args';

import { ROOT } from './paths';
export const DEFAULT_WEIGHTS = `${ROOT}public/soma.bin`;
export const KERNELS_WASM = `${ROOT}wasm/build/kernels.wasm`;

export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
}

export async function loadWeights(path = DEFAULT_WEIGHTS): Promise<SomaFile> {
  return readSoma(await readInput(path, 'weights'));
}

/** soma.bin's bytes, unchecked: the engine checks them as it loads them. */
export async function readWeights(path = DEFAULT_WEIGHTS): Promise<ArrayBuffer> {
  const bytes = await readInput(path, 'weights');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

let kernelsModule: Promise<WebAssembly.Module> | undefined;
export function kernelsWasm(): Promise<WebAssembly.Module> {
  kernelsModule ??= readInput(KERNELS_WASM, 'the WASM kernels (run `npm run asbuild`)').then((b) => WebAssembly.compile(b as Uint8Array<ArrayBuffer>));
  return kernelsModule;
}

/** nats/char of text read from a fresh state. */
export function natsPerChar(session: Session, text: Uint8Array): number {
  session.reset();
  return session.score(text) / countChars(text);
}

export async function openSession(file: SomaFile, backend: Backend): Promise<Session> {
  return Session.create(file, backend, backend === 'wasm-simd' ? await kernelsWasm() : undefined);
}

/** The app's engine, in this process: `soma generate`, `score` and `tune` go through it. */
export function nodeEngine(options: Partial<LocalEngineOptions> = {}): LocalEngine {
  return new LocalEngine({ kernels: kernelsWasm, ...options });
}
