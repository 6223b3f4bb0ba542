// A stream from callbacks: the fine-tune reports progress through a callback, and the client hears
// the worker's messages through one, but both are streamed to their callers as async generators.

/**
 * Runs `run`, yielding every value it emits, then returns what it resolves to (or throws what it
 * rejects with). A caller that breaks off calls `halt` and waits for the run to end, so nothing
 * runs on behind its back.
 */
export async function* streamOf<Y, R>(run: (emit: (value: Y) => void) => Promise<R>, halt: () => void): AsyncGenerator<Y, R> {
  const queue: Y[] = [];
  let wake = (): void => {};
  let finished = false;
  const result = run((value) => {
    queue.push(value);
    wake();
  }).finally(() => {
    finished = true;
    wake();
  });
  result.catch(() => {}); // awaited below; this only keeps an early rejection from going unobserved
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) return await result;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!finished) {
      halt();
      await result.catch(() => {});
    }
  }
}

/** Hands each value a stream yields to `each`, and resolves to what it returns. */
export async function drain<Y, R>(stream: AsyncGenerator<Y, R>, each: (value: Y) => void = () => {}): Promise<R> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    each(next.value);
  }
}
