/**
 * One photo job: make the thumbnail, store it beside the original, mark the photo ready. Idempotent by photo id and
 * content hash: the thumbnail's key carries the hash, and a photo already ready (or changed since) is left alone, so
 * a redelivered message makes no second thumbnail.
 */
import type { BlobStore, PhotoJob, PhotoStore } from "../photos/ports.ts";
import { originalKey, thumbnailKey } from "../photos/keys.ts";
import { makeThumbnail } from "./thumbnail.ts";

export type JobOutcome = "ready" | "already-done" | "no-such-photo";

export async function runPhotoJob(job: PhotoJob, deps: { photos: PhotoStore; blobs: BlobStore; maxPixels: number }): Promise<JobOutcome> {
  const photo = await deps.photos.findById(job.photoId);
  if (!photo || photo.sha256 !== job.sha256) return "no-such-photo";
  if (photo.status === "ready") return "already-done";
  const original = await deps.blobs.get(originalKey(photo.id));
  if (!original) return "no-such-photo";
  const made = await makeThumbnail(original, photo.contentType, deps.maxPixels);
  const key = thumbnailKey(photo.id, photo.sha256);
  await deps.blobs.put(key, made.data, { contentType: "image/webp" });
  const changed = await deps.photos.markReady(photo.id, photo.sha256, { width: made.width, height: made.height, thumbnail: { key, ...made.thumbnail } });
  return changed ? "ready" : "already-done";
}
