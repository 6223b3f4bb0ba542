// Numbers as the page prints them.

/** 2,411,264 → "2.41 MB". */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 2)} MB`;
}

/**
 * 602384 → "602,384", rounded to a whole number. Written out rather than toLocaleString: a page's
 * first toLocaleString loads the browser's number-formatting data, tens of milliseconds (more on a
 * phone) in the task that shows the loaded model.
 */
export function grouped(n: number): string {
  const whole = Math.round(n);
  return `${whole < 0 ? '-' : ''}${Math.abs(whole)
    .toString()
    .replace(/\B(?=(\d{3})+$)/g, ',')}`;
}

/** The mean of the held-out splits' nats/char, or null for an untrained model. */
export function meanNatsPerChar(val: Record<string, number> | null | undefined): number | null {
  const xs = Object.values(val ?? {}).filter((x) => typeof x === 'number' && Number.isFinite(x));
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** 1 → "1 byte", 1200 → "1,200 bytes". */
export const bytesWord = (n: number): string => `${grouped(n)} ${n === 1 ? 'byte' : 'bytes'}`;
