// A byte as a person can read it: printable ASCII as itself, whitespace and the rest by name. The
// symbols are ones common fonts have (DejaVu among them): U+2420 and U+240D are often missing.
const NAMED: Record<number, string> = { 9: '⇥ tab', 10: '↵ newline', 13: '⇤ return', 32: '␣ space' };

export function byteLabel(b: number): string {
  if (NAMED[b]) return NAMED[b];
  if (b > 32 && b < 127) return String.fromCharCode(b);
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** Bytes as text, with invalid or cut UTF-8 shown as U+FFFD. */
const decoder = new TextDecoder('utf-8', { fatal: false });
export const bytesText = (b: Uint8Array): string => (b.length === 1 && b[0] < 0x80 ? String.fromCharCode(b[0]) : decoder.decode(b));

/** Bytes in a UTF-8 character that starts with lead byte b (1 for a stray continuation byte). */
export const utf8Length = (b: number): number => (b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xc0 && b < 0xe0 ? 2 : 1);
