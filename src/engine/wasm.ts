// The WASM SIMD engine's kernels: instantiate the module, size its memory once, and expose
// the Kernels interface over a Float32Array view of that memory.
import type { Kernels } from '../model/kernels';

export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  matvec(y: number, w: number, b: number, x: number, rows: number, cols: number): void;
  matmul(y: number, w: number, b: number, x: number, rows: number, cols: number, batch: number): void;
  // The whole step of one stream (wasm/step.ts); pointers are byte addresses, plan is a Plan.
  planFields(): number;
  step(plan: number, byte: number): number;
  stepChunk(plan: number, bytes: number, n: number, rows: number): number;
  stepRouter(plan: number, byte: number): number;
  stepGates1(plan: number): void;
  stepCells1(plan: number): void;
  stepGates2(plan: number): void;
  stepCells2(plan: number): void;
  stepDecoder(plan: number, byte: number, winner: number): void;
}

export interface WasmKernels extends Kernels {
  /** Float offset of the first heap float the caller may use. */
  readonly base: number;
  /** The module's exports, for the whole-step calls (src/engine/wasm-step.ts). */
  readonly exports: KernelExports;
}

const PAGE = 65536;

/**
 * Instantiates the kernels with room for `floats` heap floats. The memory is grown once, here,
 * and never again, so the heap view stays valid for the life of the engine.
 */
export async function wasmKernels(module: WebAssembly.Module | BufferSource, floats: number): Promise<WasmKernels> {
  const mod = module instanceof WebAssembly.Module ? module : await WebAssembly.compile(module);
  const instance = await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error('wasm abort'); } } });
  const ex = instance.exports as unknown as KernelExports;
  const baseBytes = ex.heapBase();
  const needBytes = baseBytes + floats * 4;
  const havePages = ex.memory.buffer.byteLength / PAGE;
  const needPages = Math.ceil(needBytes / PAGE);
  if (needPages > havePages && ex.memory.grow(needPages - havePages) < 0) throw new Error(`could not grow WebAssembly memory to ${needBytes} bytes`);
  const heap = new Float32Array(ex.memory.buffer);
  const { matvec, matmul } = ex;
  return {
    backend: 'wasm-simd',
    heap,
    base: baseBytes / 4,
    exports: ex,
    matvec: (y, w, b, x, rows, cols) => matvec(y << 2, w << 2, b << 2, x << 2, rows, cols),
    matmul: (y, w, b, x, rows, cols, batch) => matmul(y << 2, w << 2, b << 2, x << 2, rows, cols, batch),
  };
}
