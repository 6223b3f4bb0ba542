// Shared set-up for the unit tests: a model file in memory, sessions on both backends, real text.
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG, type SomaConfig } from '../src/model/config';
import { type Provenance, readSoma, writeSoma } from '../src/model/format';
import { initWeights } from '../src/model/init';
import { openSession } from '../src/cli/node-engine';

export const UNTRAINED: Provenance = { trained: false, method: 'test init', steps: 0, tokens: 0, corpus: null, valNatsPerChar: null };

export const ENGLISH = new Uint8Array(readFileSync(new URL('./fixtures/sotu-excerpt.txt', import.meta.url)));

export async function somaBytes(config: SomaConfig = DEFAULT_CONFIG, seed = 7): Promise<Uint8Array> {
  return writeSoma(config, initWeights(config, seed), UNTRAINED);
}

export async function sessions(config: SomaConfig = DEFAULT_CONFIG, seed = 7) {
  const file = await readSoma(await somaBytes(config, seed));
  return { file, js: await openSession(file, 'js'), wasm: await openSession(file, 'wasm-simd') };
}
