// Downloading soma.bin with progress, and saying plainly why a download failed.

export class WeightsFetchError extends Error {
  override name = 'WeightsFetchError';
}

export type Progress = (loaded: number, total: number | null) => void;

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
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.length;
      onProgress(loaded, total);
    }
  } catch (e) {
    throw new WeightsFetchError(`the download of ${url} broke off after ${loaded} bytes (${(e as Error).message})`);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}
