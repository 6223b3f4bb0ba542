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
