import { expect } from "chai";
import sharp from "sharp";
import { readImageHeader, sniffType } from "../../../app/photos/image-header.ts";
import { image, pngClaiming } from "../../support/images.ts";

describe("photos: image headers (magic numbers and sizes before decoding)", () => {
  it("reads type and size of real PNG, JPEG and WebP (lossy and lossless) files", async () => {
    expect(readImageHeader(await image("png", 321, 123))).to.deep.equal({ type: "image/png", width: 321, height: 123 });
    expect(readImageHeader(await image("jpeg", 321, 123))).to.deep.equal({ type: "image/jpeg", width: 321, height: 123 });
    expect(readImageHeader(await image("webp", 321, 123))).to.deep.equal({ type: "image/webp", width: 321, height: 123 });
    const lossless = await sharp(await image("png", 77, 55)).webp({ lossless: true }).toBuffer();
    expect(readImageHeader(lossless)).to.deep.equal({ type: "image/webp", width: 77, height: 55 });
    const alphaExtended = await sharp(await image("png", 90, 60)).ensureAlpha().withMetadata({ exif: { IFD0: { Copyright: "x" } } }).webp().toBuffer();
    expect(readImageHeader(alphaExtended)).to.deep.include({ type: "image/webp", width: 90, height: 60 });
  });

  it("finds a JPEG's frame header after EXIF data", async () => {
    const withExif = await sharp(await image("jpeg", 200, 100)).withMetadata({ exif: { IFD0: { ImageDescription: "y".repeat(5000) } } }).jpeg().toBuffer();
    expect(readImageHeader(withExif)).to.deep.equal({ type: "image/jpeg", width: 200, height: 100 });
  });

  it("reads a decompression bomb's claimed size from a few bytes", () => {
    expect(readImageHeader(pngClaiming(50_000, 50_000).subarray(0, 64))).to.deep.equal({ type: "image/png", width: 50_000, height: 50_000 });
  });

  it("says null for what it cannot tell: other formats, truncated headers", async () => {
    expect(sniffType(Buffer.from("GIF89a......"))).to.equal(null);
    expect(sniffType(Buffer.alloc(0))).to.equal(null);
    expect(readImageHeader((await image("png", 10, 10)).subarray(0, 20))).to.deep.equal({ type: "image/png", width: null, height: null });
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 4, 0, 0]))).to.deep.equal({ type: "image/jpeg", width: null, height: null });
  });
});
