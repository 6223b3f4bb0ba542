// Long start-up work cut into tasks: a main-thread task over 50 ms delays the page's response to
// input, and Lighthouse counts every one past its first 50 ms (on a CPU it slows fourfold, past 12.5).

/** Work this long, then let the page run: a task of this much stays under Lighthouse's line when slowed fourfold. */
export const SLICE_MS = 8;

type Yielding = { scheduler?: { yield?: () => Promise<void> } };

/** Resolves in a later task: scheduler.yield where the browser has it (it resumes ahead of other work), else a timer. */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as Yielding).scheduler;
  return scheduler?.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}

/** A copy of `bytes`, made a slice of about SLICE_MS at a time, each in a task of its own. */
export async function copyInSlices(bytes: Uint8Array, sliceBytes = 256 * 1024): Promise<Uint8Array> {
  const copy = new Uint8Array(bytes.length);
  let started = performance.now();
  for (let at = 0; at < bytes.length; at += sliceBytes) {
    copy.set(bytes.subarray(at, at + sliceBytes), at);
    if (performance.now() - started > SLICE_MS) {
      await nextTask();
      started = performance.now();
    }
  }
  return copy;
}
