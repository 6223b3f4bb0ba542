// The trainer's native kernels (src/cli/native/train-kernels.c): built with gcc on first use,
// loaded as an N-API addon. Node only, trainer only; the engines never use them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Elementwise } from '../model/forward';
import type { Kernels } from '../model/kernels';
import type { Layer2Diffs } from '../train/layer2-units';
import type { ShardEngine } from '../train/spsa';
import { ROOT } from './paths';

interface Addon {
  setHeap(heap: Float32Array): void;
  matvec(y: number, w: number, b: number, x: number, rows: number, cols: number): void;
  matmul(y: number, w: number, b: number, x: number, rows: number, cols: number, batch: number): void;
  lstmCells(g: number, c: number, h: number, n: number, rows: number, hStride: number): void;
  layerNorms(x: number, xs: number, out: number, os: number, gain: number, bias: number, n: number, rows: number): void;
  addOwnState(g: number, r: number, h: number, H: number, K: number, B: number): void;
  nll(logits: number, rows: number, targets: Uint8Array, out: Float64Array, soft?: Float32Array): void;
  rowDiffs(logits: number, shift: number, rows: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array): void;
  unitDiffs(logits: number, pre: number, shift: number, w2: number, rows: number, m: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array): void;
  l2UnitDiffs: Layer2Diffs;
}

export interface NativeTrainKernels {
  kernels: Kernels;
  elementwise: Elementwise;
  /** out[j] = −log softmax(heap[logits + 256j ..])[targets[j]] for j < rows (soft targets: NllRows in src/train/losses.ts). */
  nll(logits: number, rows: number, targets: Uint8Array, out: Float64Array, soft?: Float32Array): void;
  /** The row steps' loss differences, added into out[0..256): see RowDiffs in src/train/losses.ts. */
  rowDiffs(logits: number, shift: number, rows: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array): void;
  /** The unit steps' loss differences, added into out[0..m): see UnitDiffs in src/train/losses.ts. */
  unitDiffs(logits: number, pre: number, shift: number, w2: number, rows: number, m: number, targets: Uint8Array, eps: number, out: Float64Array, soft?: Float32Array): void;
  /** One expert's layer-2 unit round: see Layer2Diffs in src/train/layer2-units.ts. */
  l2UnitDiffs: Layer2Diffs;
}

/** A trainer shard's engine (src/train/spsa.ts) on these kernels: every part they have a native twin of. */
export function nativeShardEngine(n: NativeTrainKernels): ShardEngine {
  return { kernels: n.kernels, base: 0, elementwise: n.elementwise, nll: (_h, ...a) => n.nll(...a), rowDiffs: (_h, ...a) => n.rowDiffs(...a), unitDiffs: (_h, ...a) => n.unitDiffs(...a), l2UnitDiffs: n.l2UnitDiffs };
}

const SRC = join(ROOT, 'src/cli/native/train-kernels.c');
const SOURCES = [SRC, join(ROOT, 'src/cli/native/model-math.h'), join(ROOT, 'src/cli/native/loss-kernels.h'), join(ROOT, 'src/cli/native/layer2-kernels.h')];
const OUT = join(ROOT, 'src/cli/native/build/train-kernels.node');

/** Compiles the addon if it is missing or older than its source. Throws when there is no compiler. */
export function buildNative(): string {
  if (existsSync(OUT) && SOURCES.every((f) => statSync(OUT).mtimeMs >= statSync(f).mtimeMs)) return OUT;
  const include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));
  if (!include) throw new Error("Node's headers (node_api.h) are missing");
  mkdirSync(dirname(OUT), { recursive: true });
  // Built beside it and renamed into place: a trainer already running keeps the addon it loaded, and
  // two trainers starting at once never load a half-written one.
  const tmp = `${OUT}.${process.pid}.tmp`;
  execFileSync('gcc', ['-O3', '-march=native', '-ffast-math', '-shared', '-fPIC', `-I${include}`, '-DNODE_GYP_MODULE_NAME=soma_train', '-o', tmp, SRC, '-lm'], { stdio: 'pipe' });
  renameSync(tmp, OUT);
  return OUT;
}

/** Native kernels over a fresh heap of `floats`, or null (with the reason) when they cannot be built. */
export function nativeTrainKernels(floats: number): NativeTrainKernels | string {
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(buildNative()) as Addon;
  } catch (e) {
    return `native kernels unavailable (${(e as Error).message.split('\n')[0]})`;
  }
  const heap = new Float32Array(floats);
  addon.setHeap(heap);
  return {
    kernels: { backend: 'js', heap, matvec: addon.matvec, matmul: addon.matmul },
    elementwise: {
      lstmCells: (_a, g, c, h, n, rows, hs) => addon.lstmCells(g, c, h, n, rows, hs),
      layerNorms: (_a, x, xs, out, os, gain, bias, n, rows) => addon.layerNorms(x, xs, out, os, gain, bias, n, rows),
      addOwnState: (_a, g, r, h, H, K, B) => addon.addOwnState(g, r, h, H, K, B),
    },
    nll: addon.nll,
    rowDiffs: addon.rowDiffs,
    unitDiffs: addon.unitDiffs,
    l2UnitDiffs: addon.l2UnitDiffs,
  };
}
