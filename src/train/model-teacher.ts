// Soft targets from a trained SOMA model: each byte's target mixes the next byte with the
// distribution an earlier model (itself trained by SPSA) gives it, w = (1 − α)·[v = t] + α·softmax
// (losses.ts). A byte n-gram teacher (teacher.ts) knows a few bytes of context; a trained model knows
// far more, so its targets say more about each byte and leave less noise per byte to the student.
//
// The teacher reads the shard's streams as the student does, in lockstep: it runs the model forward
// (step() in forward.ts, the same kernels and heap as the shard) over each window the shard reads,
// and its state carries on from window to window. It has seen the training text (it was trained on
// it), so unlike the n-gram teacher it is not cross-fitted: the provenance says so. No Node APIs.
import type { SomaConfig } from '../model/config';
import { type Elementwise, type Model, type StateLayout, resetState, stateLayout, step } from '../model/forward';
import type { Kernels } from '../model/kernels';
import { weightLayout, weightOffsets } from '../model/weights';
import { softmax256 } from './losses';
import type { SoftTargets } from './spsa';

/** Bytes the teacher reads before a stream's position when it starts (or loses) step with the shard. */
export const TEACHER_WARMUP = 256;

export class ModelTeacher {
  private readonly model: Model;
  private readonly s: StateLayout;
  private readonly bytes: Uint8Array; // [B] this step's input bytes
  private readonly winners: Int32Array; // [B]
  private readonly next: Float64Array; // [B] the text position each stream's state has read up to (exclusive), or −1
  private readonly p = new Float64Array(256);

  /** Heap floats a teacher of this config needs for B streams: its weights, then its state. */
  static floats(config: SomaConfig, batch: number): number {
    return weightLayout(config).total + stateLayout(config, batch, 0).size;
  }

  constructor(
    kernels: Kernels,
    elementwise: Elementwise | undefined,
    base: number, // where its floats start in kernels.heap
    config: SomaConfig,
    weights: Float32Array,
    private readonly text: Uint8Array,
    private readonly batch: number,
    private readonly alpha: number,
  ) {
    const layout = weightLayout(config);
    if (weights.length !== layout.total) throw new RangeError(`the teacher's weights have ${weights.length} floats, its config needs ${layout.total}`);
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`the teacher's weight must be in (0, 1], got ${alpha}`);
    kernels.heap.set(weights, base);
    this.model = { config, kernels, w: weightOffsets(layout, base), elementwise };
    this.s = stateLayout(config, batch, base + layout.total);
    this.bytes = new Uint8Array(batch);
    this.winners = new Int32Array(batch);
    this.next = new Float64Array(batch).fill(-1);
  }

  /**
   * The soft targets of the next window (SoftTargets): row t·B + j of out is for the byte after stream
   * j's t-th byte. A window the teacher has already read (the same positions again) is left as it is.
   */
  readonly fill: SoftTargets = (positions, window, out) => {
    const { text, batch: B, s } = this;
    const heap = this.model.kernels.heap;
    const L = text.length;
    if (positions.every((p, j) => (p + window) % L === this.next[j])) return; // this window, already in out
    if (!positions.every((p, j) => p === this.next[j])) this.warmUp(positions);
    for (let t = 0; t < window; t++) {
      for (let j = 0; j < B; j++) this.bytes[j] = text[(positions[j] + t) % L];
      step(this.model, s, this.bytes, this.winners);
      for (let j = 0; j < B; j++) this.target(heap, s.logits + j * 256, text[(positions[j] + t + 1) % L], out, t * B + j);
    }
    for (let j = 0; j < B; j++) this.next[j] = (positions[j] + window) % L;
  };

  /** Every stream's state afresh, then the TEACHER_WARMUP bytes before its position read. */
  private warmUp(positions: Float64Array): void {
    const L = this.text.length;
    resetState(this.model.kernels.heap, this.s);
    for (let k = TEACHER_WARMUP; k > 0; k--) {
      for (let j = 0; j < this.batch; j++) this.bytes[j] = this.text[(((positions[j] - k) % L) + L) % L];
      step(this.model, this.s, this.bytes, this.winners);
    }
  }

  /** out[row·256 + v] = (1 − α)·[v = target] + α·softmax(logits)_v, the softmax in float64. */
  private target(heap: Float32Array, logits: number, target: number, out: Float32Array, row: number): void {
    const p = this.p, at = row * 256;
    softmax256(heap, logits, p);
    for (let v = 0; v < 256; v++) out[at + v] = this.alpha * p[v];
    out[at + target] += 1 - this.alpha;
  }
}
