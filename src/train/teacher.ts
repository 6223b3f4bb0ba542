// Soft targets for the trainer: a byte n-gram model (Kneser-Ney, kneser-ney.ts) as a teacher, its
// distribution mixed into each byte's target (losses.ts: w = (1 − α)·[v = t] + α·q). Its point is
// less noise per byte: the teacher's q says more about a context than the one byte that followed it.
//
// Cross-fitted, so it never teaches on bytes it counted: the text is cut into blocks, block b
// belongs to fold b mod F, and the bytes of fold f are taught by a model fitted on the other folds
// alone. No Node APIs; the trainer builds one per shard (src/cli/train-shards.ts).
import { KnDistributions, trainKn } from './kneser-ney';
import type { SoftTargets } from './spsa';

/** The teacher the trainer uses: order 5 (a byte 5-gram), 2 folds of 256 KiB blocks. */
export const TEACHER = { order: 5, folds: 2, blockBytes: 1 << 18 } as const;

export class Teacher {
  private readonly models: KnDistributions[]; // [F] models[f] teaches fold f, fitted on the others
  private readonly q = new Float64Array(256);

  constructor(
    private readonly text: Uint8Array,
    readonly order: number = TEACHER.order,
    readonly folds: number = TEACHER.folds,
    readonly blockBytes: number = TEACHER.blockBytes,
  ) {
    if (!(folds >= 2 && Number.isInteger(folds))) throw new RangeError(`a cross-fitted teacher needs at least 2 folds, got ${folds}`);
    const blocks = Math.ceil(text.length / blockBytes);
    if (blocks < folds) throw new RangeError(`the text has ${blocks} blocks of ${blockBytes} bytes, fewer than ${folds} folds`);
    this.models = Array.from({ length: folds }, (_, f) => {
      const others: Uint8Array[] = [];
      for (let b = 0; b < blocks; b++) if (b % folds !== f) others.push(text.subarray(b * blockBytes, (b + 1) * blockBytes));
      const joined = new Uint8Array(others.reduce((n, x) => n + x.length, 0));
      let at = 0;
      for (const x of others) joined.set(x, at), (at += x.length);
      return new KnDistributions(trainKn(joined, order));
    });
  }

  /** The fold whose model must not teach text[i]: the fold that counted it. */
  foldOf(i: number): number {
    return Math.floor(i / this.blockBytes) % this.folds;
  }

  /** q = the teacher's distribution of text[i] from the bytes before it, into out[0 .. 256). */
  distribution(i: number, out: Float64Array): void {
    const avail = Math.min(i, this.order - 1);
    let hist = 0;
    for (let k = i - avail; k < i; k++) hist = hist * 256 + this.text[k];
    this.models[this.foldOf(i)].fill(hist, avail, out);
  }

  /** The soft targets of a window (SoftTargets), each row as target() gives it. */
  window(alpha: number): SoftTargets {
    return (positions, window, out) => {
      for (let t = 0; t < window; t++)
        for (let j = 0; j < positions.length; j++) this.target((positions[j] + t + 1) % this.text.length, alpha, out, t * positions.length + j);
    };
  }

  /** Row `row` of soft targets: out[row·256 + v] = (1 − α)·[v = text[i]] + α·q_v. */
  target(i: number, alpha: number, out: Float32Array, row: number): void {
    const q = this.q;
    this.distribution(i, q);
    const at = row * 256;
    for (let v = 0; v < 256; v++) out[at + v] = alpha * q[v];
    out[at + this.text[i]] += 1 - alpha;
  }
}
