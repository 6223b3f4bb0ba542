// Downloading soma.bin with progress, and saying plainly why a download failed.
import { SLICE_MS, nextTask } from './next-task';

export class WeightsFetchError extends Error {
  override name = 'WeightsFetchError';
}

export type Progress = (loaded: number, total: number | null) => void;

/** A size announced above this is not trusted with one allocation up front. */
const MAX_PREALLOCATED = 512 * 1024 * 1024;

/**
 * Fetches `url` as bytes, reporting progress as they arrive. `expectedBytes` stands in for a
 * missing Content-Length. Every failure is a WeightsFetchError with a reason a person can act on.
 */
export async function fetchWeights(url: string, onProgress: Progress, expectedBytes?: number, fetchImpl: typeof fetch = fetch): Promise<Uint8Array> {
  let res: Response;
  try {
    // Revalidate: a stale HTTP-cached copy must not stand in for a new version.
    res = await fetchImpl(url, { cache: 'no-cache' });
  } catch (e) {
    throw new WeightsFetchError(`the request for ${url} failed (${(e as Error).message}): the network may be off or the server unreachable`);
  }
  if (!res.ok) throw new WeightsFetchError(`the server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${url}`);
  const header = Number(res.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : (expectedBytes ?? null);
  onProgress(0, total);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress(bytes.length, total);
    return bytes;
  }
  // The bytes go straight into one buffer of the announced size (grown if the server said too
  // little): no copy of the whole file at the end, in one long main-thread task.
  let bytes = new Uint8Array(total !== null && total <= MAX_PREALLOCATED ? total : 1 << 20);
  let loaded = 0;
  const reader = res.body.getReader();
  let started = performance.now();
  try {
    for (;;) {
      // A body that has all arrived is read chunk after chunk in one task: let the page run between.
      if (performance.now() - started > SLICE_MS) {
        await nextTask();
        started = performance.now();
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > bytes.length) {
        const grown = new Uint8Array(Math.max(2 * bytes.length, loaded + value.length));
        grown.set(bytes.subarray(0, loaded));
        bytes = grown;
      }
      bytes.set(value, loaded);
      loaded += value.length;
      onProgress(loaded, total);
    }
  } catch (e) {
    throw new WeightsFetchError(`the download of ${url} broke off after ${loaded} bytes (${(e as Error).message})`);
  }
  return loaded === bytes.length ? bytes : bytes.slice(0, loaded);
}
