/** Test images made on the fly: real encodings from sharp, and hand-made bytes for the broken cases. */
import { deflateSync } from "node:zlib";
import sharp from "sharp";

/** A real image of the given size: a gradient, so the encoders have something to compress. */
export async function image(format: "png" | "jpeg" | "webp", width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = ((x ^ y) & 0xff);
    }
  return sharp(raw, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A well-formed PNG header claiming width x height (RGB, 8 bit) with a small IDAT: a decompression bomb's shape. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64 * 1024))), chunk("IEND", Buffer.alloc(0))]);
}

/** A real PNG whose pixel data is overwritten with junk after the header: the magic number and size still check out. */
export async function corruptPng(width = 64, height = 48): Promise<Buffer> {
  const good = await image("png", width, height);
  const bad = Buffer.from(good);
  for (let i = 41; i < bad.length - 12; i++) bad[i] = (i * 7919) & 0xff;
  return bad;
}
