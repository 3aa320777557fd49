/** Decode and resize with sharp (libvips): a WebP thumbnail whose longest side is 256 px, never enlarged. */
import sharp from "sharp";
import type { PhotoType } from "../photos/ports.ts";

export const THUMBNAIL_SIDE = 256;

/** The image cannot become a thumbnail, whatever the retries: bad bytes, the wrong format, too many pixels. */
export class PoisonImage extends Error {
  override name = "PoisonImage";
}

const FORMAT: Record<PhotoType, string> = { "image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp" };

export async function makeThumbnail(original: Buffer, contentType: PhotoType, maxPixels: number) {
  // limitInputPixels is checked against the header before any pixel is decoded: a decompression bomb stops here.
  const input = () => sharp(original, { limitInputPixels: maxPixels, failOn: "error" });
  let meta;
  try {
    meta = await input().metadata();
  } catch (err) {
    throw new PoisonImage(`the bytes do not decode as ${contentType}: ${(err as Error).message}`);
  }
  if (meta.format !== FORMAT[contentType]) throw new PoisonImage(`the bytes are ${meta.format ?? "not an image"}, not ${contentType}`);
  if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) throw new PoisonImage(`${meta.width}x${meta.height} is over ${maxPixels} pixels`);
  try {
    const { data, info } = await input()
      .rotate() // EXIF orientation, so the thumbnail stands the way the photo was taken
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { data, width: meta.width!, height: meta.height!, thumbnail: { width: info.width, height: info.height } };
  } catch (err) {
    throw new PoisonImage(`the bytes do not decode as ${contentType}: ${(err as Error).message}`);
  }
}
