// What the exactness tests of the trainer's steps share: the engines a shard can run on (TypeScript,
// and the native kernels where gcc builds them), decoder weights a trained model could have, and soft
// targets as a teacher gives them.
import type { SomaConfig } from '../../src/model/config';
import { initWeights } from '../../src/model/init';
import { jsKernels } from '../../src/model/kernels';
import { weightLayout } from '../../src/model/weights';
import { Shard, type ShardEngine, type SoftTargets } from '../../src/train/spsa';
import { nativeShardEngine, nativeTrainKernels } from '../../src/cli/native-kernels';

export type Engine = () => ShardEngine;

/** Each engine by name, over a heap of `floats`: TypeScript always, native kernels when they build. */
function shardEngines(floats: number): [string, Engine][] {
  const ts: Engine = () => ({ kernels: jsKernels(new Float32Array(floats)), base: 0 });
  if (typeof nativeTrainKernels(16) === 'string') return [['TypeScript', ts]];
  const native: Engine = () => nativeShardEngine(nativeTrainKernels(floats) as Exclude<ReturnType<typeof nativeTrainKernels>, string>);
  return [['TypeScript', ts], ['native', native]];
}

/** Decoder weights a trained model could have: the init's are tiny, so the ± losses would barely differ. */
function trainedDecoders(cfg: SomaConfig): Float32Array {
  const theta = initWeights(cfg, 2);
  const layout = weightLayout(cfg);
  let x = 1;
  for (const name of ['experts.mlp.w1', 'experts.mlp.b1', 'experts.mlp.w2', 'experts.mlp.b2']) {
    const t = layout.byName.get(name)!;
    for (let i = t.offset; i < t.offset + t.size; i++) theta[i] = ((x = (x * 48271) % 2147483647) / 2147483647 - 0.5) * 2;
  }
  return theta;
}

/** Soft targets as a teacher gives them (losses.ts): half the next byte of `text`, half a spread over bytes that depends on the position. */
const softTargetsOf = (text: Uint8Array): SoftTargets => (positions, window, out) => {
  for (let t = 0; t < window; t++)
    for (let j = 0; j < positions.length; j++) {
      const i = (positions[j] + t + 1) % text.length, row = t * positions.length + j;
      let sum = 0;
      for (let v = 0; v < 256; v++) sum += out[row * 256 + v] = 1 / (1 + ((v * 7 + i * 13) % 29));
      for (let v = 0; v < 256; v++) out[row * 256 + v] *= 0.5 / sum;
      out[row * 256 + text[i]] += 0.5;
    }
};

/** Every engine with hard targets and with soft ones. */
const targetCases = (engines: [string, Engine][], soft: SoftTargets) =>
  engines.flatMap(([name, engine]) => [[`${name}, hard targets`, engine, undefined], [`${name}, soft targets`, engine, soft]] as [string, Engine, SoftTargets | undefined][]);

/** A test's whole setup for a model and text, B streams × T bytes: its heap size, engines, soft targets, cases and trained decoders. */
export function shardFixtures(cfg: SomaConfig, text: Uint8Array, B: number, T: number) {
  const floats = Shard.heapFloats(cfg, B, T);
  const engines = shardEngines(floats);
  const soft = softTargetsOf(text);
  return { floats, engines, soft, cases: targetCases(engines, soft), weights: () => trainedDecoders(cfg) };
}
