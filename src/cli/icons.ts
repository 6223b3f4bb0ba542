// Draws the app's icons (public/icons/*.png): bars on the accent colour, like the expert-load
// sparkline. A tiny PNG encoder, so no image library is needed. Run: npx tsx src/cli/icons.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const ACCENT = [0x2f, 0x4f, 0xc4];
const BARS = [0.45, 0.8, 0.6, 1, 0.35]; // heights, as fractions of the glyph box

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

function png(size: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1)); // filter byte 0 before each row
  for (let y = 0; y < size; y++) rows.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', new Uint8Array())]);
}

/** `glyph` is the share of the icon the bars span; `radius` rounds the background's corners (0: full bleed). */
function draw(size: number, glyph: number, radius: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  const r = radius * size;
  const box = glyph * size;
  const x0 = (size - box) / 2;
  const slot = box / BARS.length;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      // Distance outside the rounded rectangle, for the background's alpha (one pixel of anti-aliasing).
      const dx = Math.max(r - x - 0.5, x + 0.5 - (size - r), 0);
      const dy = Math.max(r - y - 0.5, y + 0.5 - (size - r), 0);
      const inside = r > 0 ? Math.min(1, Math.max(0, r - Math.hypot(dx, dy) + 0.5)) : 1;
      const i = (y * size + x) * 4;
      const k = Math.floor((x - x0) / slot);
      const inBar = k >= 0 && k < BARS.length && x - x0 - k * slot > slot * 0.18 && x - x0 - k * slot < slot * 0.82 && y < x0 + box && y >= x0 + box - BARS[k] * box;
      px.set(inBar ? [255, 255, 255] : ACCENT, i);
      px[i + 3] = Math.round(inside * 255);
    }
  return png(size, px);
}

const dir = new URL('../../public/icons/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('icon-192.png', dir), draw(192, 0.62, 0.2));
writeFileSync(new URL('icon-512.png', dir), draw(512, 0.62, 0.2));
// Maskable: the platform crops to its own shape, keeping the central 80%; the glyph stays inside it.
writeFileSync(new URL('icon-maskable-512.png', dir), draw(512, 0.5, 0));
console.log('wrote public/icons/icon-192.png, icon-512.png, icon-maskable-512.png');
