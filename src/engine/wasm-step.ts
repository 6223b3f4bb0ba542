// The WASM engine's whole step: one call per byte into wasm/step.ts, or one per chunk of known
// bytes. It writes the module's Plan (sizes, weight and state addresses) into the heap once; the
// state is stateLayout()'s with B = 1, so logits and scores sit where the reference puts them.
import { type SomaConfig, decoderWidth } from '../model/config';
import type { StateLayout } from '../model/forward';
import type { WeightOffsets } from '../model/weights';
import type { WasmKernels } from './wasm';

/** The Plan's fields, in wasm/step.ts's order: sizes, then weights, then state. */
const SIZE_FIELDS = ['E', 'R', 'K', 'H', 'M', 'D'] as const;
const WEIGHT_FIELDS = ['embed', 'routerW', 'routerB', 'headW', 'headB', 'l1W', 'l1B', 'ln1G', 'ln1B', 'l2W', 'l2B', 'ln2G', 'ln2B', 'mlpW1', 'mlpB1', 'mlpW2', 'mlpB2'] as const;
const STATE_FIELDS = ['ur', 'cr', 'gr', 'scores', 'u1', 'c1', 'g1', 'u2', 'c2', 'g2', 'dec', 'hid', 'logits'] as const;
const PLAN_FIELDS = SIZE_FIELDS.length + WEIGHT_FIELDS.length + STATE_FIELDS.length;

/** Bytes stepped per chunked call; the logits rows of a chunk are CHUNK_BYTES × 256 floats. */
export const CHUNK_BYTES = 64;

/** Heap floats the whole step needs beside the weights and state: the plan, a chunk's bytes and its logits rows. */
export function wasmStepFloats(): number {
  return Math.ceil(PLAN_FIELDS / 4) * 4 + CHUNK_BYTES / 4 + CHUNK_BYTES * 256;
}

/** Time spent in each part of the step, in ms, over `bytes` bytes. */
export interface StepProfile {
  bytes: number;
  router: number; // embedding, router LSTM and head, argmax
  gates1: number; // every expert's layer-1 matrix products
  cells1: number; // every expert's layer-1 cells and LN1
  gates2: number; // every expert's layer-2 matrix products
  cells2: number; // every expert's layer-2 cells
  decoder: number; // the winner's LN2, GELU decoder and logits
}

export interface WasmStep {
  /** One byte through the whole step; returns the router's winner. */
  step(byte: number): number;
  /**
   * Up to CHUNK_BYTES known bytes in one call; returns the last byte's winner. With `withRows`,
   * the logits after byte i of the chunk are left at heap[rowAt(i) ..] for the caller to score from.
   */
  chunk(bytes: Uint8Array, withRows: boolean): number;
  /** Float offset of the logits row after byte i of the last chunk (withRows). */
  rowAt(i: number): number;
  /** The step in its six parts, each timed: the same results as step(), for the benchmark's profile. */
  profiledStep(byte: number, into: StepProfile): number;
}

/**
 * The whole step over a model already in the kernels' heap: weights at `w`, one stream's state `s`
 * (B = 1), and wasmStepFloats() free floats at `at` for the plan and the chunk buffers.
 */
export function wasmStep(k: WasmKernels, config: SomaConfig, w: WeightOffsets, s: StateLayout, at: number): WasmStep {
  if (config.layer2Recurrence !== 'full') throw new Error(`the WASM whole step computes a layer 2 with the full recurrence; this model's is '${config.layer2Recurrence}' (step through forward.ts instead)`);
  const ex = k.exports;
  if (typeof ex.step !== 'function') throw new Error('this WASM module has no whole-step export: rebuild it with `npm run asbuild`');
  if (ex.planFields() !== PLAN_FIELDS) throw new Error(`the WASM module reads a plan of ${ex.planFields()} fields, the loader writes ${PLAN_FIELDS}: rebuild it with \`npm run asbuild\``);
  if (s.batch !== 1) throw new RangeError(`the WASM step advances one stream; the state has ${s.batch}`);
  const { embed: E, routerHidden: R, experts: K, expertHidden: H, mlpHidden: M } = config;
  const plan = at; // [PLAN_FIELDS] i32
  const bytesAt = plan + Math.ceil(PLAN_FIELDS / 4) * 4; // [CHUNK_BYTES] u8
  const rows = bytesAt + CHUNK_BYTES / 4; // [CHUNK_BYTES, V] f32
  const fields = [E, R, K, H, M, decoderWidth(config), ...WEIGHT_FIELDS.map((f) => w[f] * 4), ...STATE_FIELDS.map((f) => s[f] * 4)];
  new Int32Array(k.heap.buffer, plan * 4, PLAN_FIELDS).set(fields);
  const chunkBytes = new Uint8Array(k.heap.buffer, bytesAt * 4, CHUNK_BYTES);
  const p = plan * 4;
  return {
    step: (byte) => ex.step(p, byte),
    chunk(bytes, withRows) {
      if (bytes.length > CHUNK_BYTES) throw new RangeError(`a chunk is at most ${CHUNK_BYTES} bytes, got ${bytes.length}`);
      chunkBytes.set(bytes);
      return ex.stepChunk(p, bytesAt * 4, bytes.length, withRows ? rows * 4 : 0);
    },
    rowAt: (i) => rows + i * 256,
    profiledStep(byte, into) {
      let t = performance.now();
      const lap = () => {
        const now = performance.now();
        const ms = now - t;
        t = now;
        return ms;
      };
      const winner = ex.stepRouter(p, byte);
      into.router += lap();
      ex.stepGates1(p);
      into.gates1 += lap();
      ex.stepCells1(p);
      into.cells1 += lap();
      ex.stepGates2(p);
      into.gates2 += lap();
      ex.stepCells2(p);
      into.cells2 += lap();
      ex.stepDecoder(p, byte, winner);
      into.decoder += lap();
      into.bytes++;
      return winner;
    },
  };
}
