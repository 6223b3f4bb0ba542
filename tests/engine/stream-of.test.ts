// streamOf() and drain(): callbacks turned into a stream, and a stream read to its end.
import { describe, expect, it } from 'vitest';
import { drain, streamOf } from '../../src/engine/stream-of';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('streamOf', () => {
  it('yields what is emitted, in order, then returns what the run resolves to', async () => {
    const stream = streamOf<number, string>(async (emit) => {
      emit(1);
      await tick();
      emit(2);
      emit(3);
      return 'end';
    }, () => {});
    const seen: number[] = [];
    expect(await drain(stream, (v) => seen.push(v))).toBe('end');
    expect(seen).toEqual([1, 2, 3]);
  });

  it("throws the run's rejection after what it emitted", async () => {
    const seen: number[] = [];
    const stream = streamOf<number, void>(async (emit) => {
      emit(1);
      await tick();
      throw new Error('broke');
    }, () => {});
    await expect(drain(stream, (v) => seen.push(v))).rejects.toThrow('broke');
    expect(seen).toEqual([1]);
  });

  it('halts a run whose caller breaks off, and waits for it to end', async () => {
    let halted = false;
    let ended = false;
    const stream = streamOf<number, void>(async (emit) => {
      while (!halted) {
        emit(0);
        await tick();
      }
      await tick();
      ended = true;
    }, () => (halted = true));
    for await (const _ of stream) break;
    expect([halted, ended]).toEqual([true, true]);
  });
});
