// The trainer's shards, in this thread or in worker threads. Only seeds, phases and scalar
// losses (or coefficients) cross between threads; every shard keeps its own copy of θ.
import { Worker } from 'node:worker_threads';
import type { SomaConfig } from '../model/config';
import { wasmKernels } from '../engine/wasm';
import { type PassLoss, type Phase, Shard, type ShardEngine } from '../train/spsa';
import { inThread } from '../train/schedule';
import { ModelTeacher } from '../train/model-teacher';
import { Teacher } from '../train/teacher';
import { nativeShardEngine, nativeTrainKernels } from './native-kernels';
import { kernelsWasm } from './node-engine';

export interface ShardSpec {
  config: SomaConfig;
  theta: Float32Array;
  text: Uint8Array;
  batch: number;
  window: number;
  seed: number;
  kernels?: 'native' | 'wasm';
  teacherWeight?: number; // α of the soft targets (src/train/teacher.ts); each shard fits its own teacher
  teacherModel?: { config: SomaConfig; weights: Float32Array }; // the teacher is this trained model (model-teacher.ts), not the n-gram
  l2Units?: number; // layer-2 unit steps: units of each expert per round (all when absent)
}

export interface ShardSnapshot {
  state: Float32Array;
  positions: Float64Array;
}

/** What the training loop needs of a shard, wherever it runs. */
export interface ShardHandle {
  evaluate(stepSeed: number, phase: Phase, eps: number): Promise<PassLoss>;
  apply(stepSeed: number, phase: Phase, coef: Float64Array, beta: number, routerDelta: Float64Array): Promise<void>;
  snapshot(): Promise<ShardSnapshot & { theta: Float32Array; momentum: Float32Array }>;
  restore(x: ShardSnapshot & { theta: Float32Array; momentum: Float32Array }): Promise<void>;
  close(): Promise<void>;
}

/** Kernels for a shard of `floats` heap floats: native when they build here, else WASM SIMD. */
export async function shardEngine(floats: number, kernels?: 'native' | 'wasm'): Promise<ShardEngine & { label: 'native' | 'wasm-simd' }> {
  const native = kernels === 'wasm' ? 'WASM asked for' : nativeTrainKernels(floats);
  if (typeof native === 'string') {
    const k = await wasmKernels(await kernelsWasm(), floats);
    return { kernels: k, base: k.base, label: 'wasm-simd' };
  }
  return { ...nativeShardEngine(native), label: 'native' };
}

/** A shard on the native kernels when they build here, else on the WASM SIMD kernels. */
export async function makeShard(spec: ShardSpec): Promise<Shard> {
  const own = Shard.heapFloats(spec.config, spec.batch, spec.window), tm = spec.teacherModel;
  const engine = await shardEngine(own + (tm ? ModelTeacher.floats(tm.config, spec.batch) : 0), spec.kernels);
  const alpha = spec.teacherWeight ?? 0;
  const soft =
    alpha === 0 ? undefined
    : tm ? new ModelTeacher(engine.kernels, engine.elementwise, engine.base + own, tm.config, tm.weights, spec.text, spec.batch, alpha).fill
    : new Teacher(spec.text).window(alpha);
  return new Shard(spec.config, engine, spec.theta, spec.text, spec.batch, spec.window, spec.seed, soft, spec.l2Units);
}

export function localShard(shard: Shard): ShardHandle {
  return {
    ...inThread(shard),
    snapshot: async () => ({ ...shard.snapshot(), theta: shard.theta.slice(), momentum: shard.momentum.slice() }),
    restore: async (x) => shard.restore(x),
    close: async () => {},
  };
}

type Call = { method: keyof ShardHandle; args: unknown[] };

/** A shard in a worker thread (src/cli/train-worker.ts), behind the same interface. */
export function threadShard(spec: ShardSpec): ShardHandle {
  const worker = new Worker(new URL('./train-worker.mjs', import.meta.url), { workerData: spec });
  let queue = Promise.resolve<unknown>(undefined);
  const call = <T>(c: Call): Promise<T> => {
    const p = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onMessage = (m: { ok: boolean; value?: T; error?: string }) => {
            worker.off('error', onError);
            if (m.ok) resolve(m.value as T);
            else reject(new Error(m.error));
          };
          const onError = (e: Error) => {
            worker.off('message', onMessage);
            reject(e);
          };
          worker.once('message', onMessage);
          worker.once('error', onError);
          worker.postMessage(c);
        }),
    );
    queue = p.catch(() => undefined);
    return p;
  };
  return {
    evaluate: (seed, phase, eps) => call({ method: 'evaluate', args: [seed, phase, eps] }),
    apply: (seed, phase, coef, beta, routerDelta) => call({ method: 'apply', args: [seed, phase, coef, beta, routerDelta] }),
    snapshot: () => call({ method: 'snapshot', args: [] }),
    restore: (x) => call({ method: 'restore', args: [x] }),
    close: async () => {
      await worker.terminate();
    },
  };
}
