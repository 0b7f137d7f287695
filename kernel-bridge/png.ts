// A minimal PNG encoder (RGBA, 8 bits per channel, no filtering) with
// node:zlib, for the kernelspec logo. PNG layout (RFC 2083 / ISO 15948):
// signature, IHDR, IDAT (zlib of rows, each prefixed by filter byte 0), IEND;
// each chunk is length, type, data, CRC-32 of type + data.

import { deflateSync } from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encode `rgba` (width * height * 4 bytes, rows top to bottom) as a PNG file. Throws if the size does not match. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes for ${width}x${height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}

/** The ViperDOS logo: a rounded dark square with a green "V" (a viper's fangs), `size` pixels square. */
export function logoPng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  const r = size * 0.18;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      // Rounded corners: outside the corner circles is transparent.
      const cx = Math.min(Math.max(x + 0.5, r), size - r);
      const cy = Math.min(Math.max(y + 0.5, r), size - r);
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
      let [R, G, B] = [0x1b, 0x26, 0x3b];
      // The V: two strokes from the top corners to the bottom middle.
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      if (v > 0.2 && v < 0.82) {
        const t = (v - 0.2) / 0.62; // 0 at the top, 1 at the point
        const left = 0.22 + 0.28 * t;
        const right = 0.78 - 0.28 * t;
        const w = 0.07;
        if (Math.abs(u - left) < w || Math.abs(u - right) < w) [R, G, B] = [0x4c, 0xd9, 0x64];
      }
      px.set([R, G, B, 0xff], i);
    }
  }
  return encodePng(size, size, px);
}
