// UTF-8 at the model's edges: a stream decoder that survives any split, and never throws.
import { describe, expect, it } from 'vitest';
import { Utf8Stream, countChars, encodeUtf8 } from '../../src/model/utf8';

const FFFD = '\uFFFD';

/** Decodes `bytes` pushed in pieces cut at `cuts`, then ended; also returns what each push gave. */
function decodeInPieces(bytes: Uint8Array, cuts: number[]): { text: string; pushes: string[] } {
  const s = new Utf8Stream();
  const bounds = [0, ...cuts, bytes.length];
  const pushes = bounds.slice(1).map((end, i) => s.push(bytes.subarray(bounds[i], end)));
  return { text: pushes.join('') + s.end(), pushes };
}

describe('Utf8Stream', () => {
  it.each([
    ['é', 2],
    ['€', 3],
    ['😀', 4],
  ])('reassembles %s (%i bytes) split at every byte boundary', (ch, size) => {
    const text = `a${ch}b`;
    const bytes = encodeUtf8(text);
    expect(bytes.length).toBe(size + 2);
    for (let i = 0; i <= bytes.length; i++) {
      const { text: out, pushes } = decodeInPieces(bytes, [i]);
      expect(out, `cut at ${i}`).toBe(text);
      expect(pushes.join('')).not.toContain(FFFD);
    }
    // One byte at a time: the character appears exactly when its last byte arrives.
    const s = new Utf8Stream();
    const pushes = Array.from(bytes, (b) => s.push(Uint8Array.of(b)));
    expect(pushes).toEqual(['a', ...new Array(size - 1).fill(''), ch, 'b']);
    expect(s.end()).toBe('');
  });

  it('reassembles mixed text cut at every pair of boundaries', () => {
    const text = 'é€😀x😀';
    const bytes = encodeUtf8(text);
    for (let i = 0; i <= bytes.length; i++)
      for (let j = i; j <= bytes.length; j++) expect(decodeInPieces(bytes, [i, j]).text, `cuts ${i}, ${j}`).toBe(text);
  });

  it('turns invalid bytes into U+FFFD without throwing', () => {
    const s = new Utf8Stream();
    expect(s.push(Uint8Array.of(0x61, 0xff, 0x62))).toBe(`a${FFFD}b`);
    expect(s.push(Uint8Array.of(0x80))).toBe(FFFD); // a lone continuation byte
    expect(s.push(Uint8Array.of(0xe2, 0x82))).toBe(''); // '€' missing its last byte: held back
    expect(s.end()).toBe(FFFD); // ... and flushed as one U+FFFD at the end
    // end() starts over: the stream decodes cleanly afterwards.
    expect(s.push(encodeUtf8('ok €'))).toBe('ok €');
    // A sequence cut short by a byte that cannot continue it.
    expect(s.push(Uint8Array.of(0xf0, 0x9f, 0x41))).toBe(`${FFFD}A`);
    expect(s.end()).toBe('');
  });

  it('decodes every byte value on its own without throwing', () => {
    const s = new Utf8Stream();
    let out = '';
    for (let b = 0; b < 256; b++) out += s.push(Uint8Array.of(b));
    out += s.end();
    expect(out.slice(0, 128)).toBe(String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i)));
    expect(out.slice(128)).toBe(FFFD.repeat(128)); // one U+FFFD per byte: none of them forms a character alone
  });
});

describe('countChars', () => {
  it('counts code points, not bytes or UTF-16 units', () => {
    expect(countChars(encodeUtf8(''))).toBe(0);
    expect(countChars(encodeUtf8('abc'))).toBe(3);
    expect(countChars(encodeUtf8('é€😀'))).toBe(3); // 9 bytes, 4 UTF-16 units
    expect(countChars(encodeUtf8('naïve 😀😀'))).toBe(8);
    expect(countChars(Uint8Array.of(0x61, 0xff, 0x80))).toBe(3); // each invalid byte is one U+FFFD
  });
});
