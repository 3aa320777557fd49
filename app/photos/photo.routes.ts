/**
 * /v1/photos (contracts §5): upload streams to the object store and answers 202 once the photo and its job are
 * committed; reads give the status and the thumbnail. The 16 KiB body limit does not apply to the upload (app.ts).
 */
import { Hono } from "hono";
import { stream } from "hono/streaming";
import { v7 as uuidv7 } from "uuid";
import type { AppEnv } from "../http/env.ts";
import { AppError, unavailable } from "../http/problem.ts";
import { requestLog } from "../http/observe.ts";
import { requireSession } from "../sessions/auth.ts";
import type { SessionStore } from "../ports.ts";
import { HEADER_BYTES, readImageHeader } from "./image-header.ts";
import { openUpload } from "./upload-stream.ts";
import { originalKey } from "./keys.ts";
import type { OutboxRelay } from "./outbox-relay.ts";
import { PHOTO_TYPES, type BlobStore, type Photo, type PhotoStore, type PhotoType } from "./ports.ts";

export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const PHOTO_UPLOAD_PATH = "/v1/photos";
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NAMES: Record<PhotoType, string> = { "image/png": "a PNG", "image/jpeg": "a JPEG", "image/webp": "a WebP" };

export interface PhotoRouteDeps {
  sessions: SessionStore;
  photos: PhotoStore;
  blobs: BlobStore;
  relay: OutboxRelay;
  limits: { uploadsPerMinute: number; maxPixels: number };
}

export function photoBody(p: Photo) {
  return {
    id: p.id,
    ownerId: p.ownerId,
    status: p.status,
    width: p.width,
    height: p.height,
    thumbnail: p.thumbnail ? { width: p.thumbnail.width, height: p.thumbnail.height, url: `${PHOTO_UPLOAD_PATH}/${p.id}/thumbnail` } : null,
    ...(p.error ? { error: p.error } : {}),
    createdAt: new Date(p.createdAt).toISOString(),
  };
}

function declaredType(header: string | undefined): PhotoType {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  if (!(PHOTO_TYPES as readonly string[]).includes(type)) {
    throw new AppError(415, "unsupported-media-type", `Content-Type must be one of ${PHOTO_TYPES.join(", ")}${header ? `, got ${JSON.stringify(header.slice(0, 64))}` : ""}`);
  }
  return type as PhotoType;
}

function declaredLength(header: string | undefined): number {
  if (header === undefined) throw new AppError(411, "length-required", "send Content-Length with the photo's size in bytes");
  const n = /^\d{1,12}$/.test(header) ? Number(header) : NaN;
  if (!Number.isFinite(n)) throw new AppError(400, "bad-content-length", "Content-Length must be a number of bytes");
  if (n > MAX_PHOTO_BYTES) throw new AppError(413, "photo-too-large", `the photo is ${n} bytes; the limit is ${MAX_PHOTO_BYTES}`);
  if (n === 0) throw new AppError(400, "empty-body", "the body is empty; send the image's bytes");
  return n;
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new AppError(404, "not-found", `no photo with id ${JSON.stringify(id.slice(0, 64))}`);
  return id;
}

export function photoRoutes(deps: PhotoRouteDeps) {
  const { photos, blobs, limits } = deps;
  async function find(id: string): Promise<Photo> {
    const photo = await photos.findById(checkId(id));
    if (!photo) throw new AppError(404, "not-found", `no photo with id ${id}`);
    return photo;
  }

  return new Hono<AppEnv>()
    .post("/", requireSession(deps.sessions), async (c) => {
      const type = declaredType(c.req.header("content-type"));
      const length = declaredLength(c.req.header("content-length"));
      const session = c.var.session!;
      if (limits.uploadsPerMinute > 0 && (await photos.countSince(session.userId, Date.now() - 60_000)) >= limits.uploadsPerMinute) {
        throw new AppError(429, "too-many-uploads", `at most ${limits.uploadsPerMinute} photos per minute; retry later`, { "Retry-After": "60" });
      }
      const source = c.req.raw.body;
      if (!source) throw new AppError(400, "empty-body", "the body is empty; send the image's bytes");
      const upload = await openUpload(source, { headBytes: HEADER_BYTES, maxBytes: MAX_PHOTO_BYTES, expectedBytes: length });
      const header = readImageHeader(upload.head);
      if (header.type !== type) {
        upload.cancel();
        throw new AppError(415, "content-mismatch", `the bytes are ${header.type ? NAMES[header.type] : "not a PNG, JPEG or WebP image"}, not ${type}`);
      }
      if (header.width !== null && header.height !== null && header.width * header.height > limits.maxPixels) {
        upload.cancel();
        throw new AppError(422, "too-many-pixels", `${header.width}x${header.height} is over the limit of ${limits.maxPixels} pixels`);
      }
      const id = uuidv7();
      try {
        await blobs.putStream(originalKey(id), upload.body, { contentType: type, contentLength: length });
      } catch (err) {
        upload.cancel();
        if (err instanceof AppError) throw err;
        requestLog(c).warn({ err: (err as Error).message }, "object store unavailable");
        throw unavailable("object store");
      }
      const { bytes, sha256 } = upload.digest();
      let photo: Photo;
      try {
        photo = await photos.create({ id, ownerId: session.userId, contentType: type, bytes, sha256, width: header.width, height: header.height });
      } catch (err) {
        // Nothing refers to the original now: remove it (a leftover is only storage, never a job).
        await blobs.delete(originalKey(id)).catch(() => undefined);
        throw err;
      }
      deps.relay.kick();
      c.header("Location", `${PHOTO_UPLOAD_PATH}/${id}`);
      return c.json({ id: photo.id, ownerId: photo.ownerId, status: photo.status, createdAt: new Date(photo.createdAt).toISOString() }, 202);
    })
    .get("/:id", async (c) => c.json(photoBody(await find(c.req.param("id")))))
    .get("/:id/thumbnail", async (c) => {
      const photo = await find(c.req.param("id"));
      if (!photo.thumbnail) throw new AppError(404, "no-thumbnail", `photo ${photo.id} has no thumbnail (${photo.status})`);
      let object;
      try {
        object = await blobs.open(photo.thumbnail.key);
      } catch (err) {
        requestLog(c).warn({ err: (err as Error).message }, "object store unavailable");
        throw unavailable("object store");
      }
      if (!object) throw new AppError(404, "no-thumbnail", `photo ${photo.id}'s thumbnail is missing from the object store`);
      c.header("Content-Type", object.contentType);
      c.header("Content-Length", String(object.contentLength));
      // The key carries the content hash: a thumbnail at this URL never changes.
      c.header("Cache-Control", "public, max-age=86400");
      return stream(c, async (s) => {
        for await (const chunk of object.body) await s.write(chunk as Uint8Array);
      });
    });
}
