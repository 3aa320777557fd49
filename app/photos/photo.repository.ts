/** Photos and their outbox over kysely (MariaDB/MySQL or SQLite): a photo and its job commit together or not at all. */
import { v7 as uuidv7 } from "uuid";
import type { DbHandle } from "../db/connect.ts";
import { createWriter, guarded } from "../db/write.ts";
import type { PhotoTable } from "./photo.table.ts";
import type { NewPhoto, Outbox, OutboxRow, Photo, PhotoJob, PhotoStatus, PhotoStore, PhotoType } from "./ports.ts";

export function toPhoto(row: PhotoTable): Photo {
  return {
    id: row.id,
    ownerId: row.owner_id,
    status: row.status as PhotoStatus,
    contentType: row.content_type as PhotoType,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    thumbnail: row.thumb_key ? { key: row.thumb_key, width: row.thumb_width ?? 0, height: row.thumb_height ?? 0 } : null,
    error: row.error,
    createdAt: Number(row.created_at),
  };
}

export function createPhotoRepository(handle: DbHandle): PhotoStore {
  const { db } = handle;
  const write = createWriter(handle);
  const store: PhotoStore = {
    async create(p: NewPhoto) {
      const now = Date.now();
      const row: PhotoTable = {
        id: p.id, owner_id: p.ownerId, status: "pending", content_type: p.contentType, bytes: p.bytes, sha256: p.sha256,
        width: p.width, height: p.height, thumb_key: null, thumb_width: null, thumb_height: null, error: null,
        created_at: now, updated_at: now,
      };
      await write(async (trx) => {
        await trx.insertInto("photos").values(row).execute();
        await trx.insertInto("photo_outbox").values({ id: uuidv7(), photo_id: p.id, sha256: p.sha256, created_at: now, lease_until: 0 }).execute();
      });
      return toPhoto(row);
    },
    async findById(id) {
      const row = await guarded(db.selectFrom("photos").selectAll().where("id", "=", id).executeTakeFirst());
      return row ? toPhoto(row) : null;
    },
    async countSince(ownerId, sinceMs) {
      const r = await guarded(
        db.selectFrom("photos").select((eb) => eb.fn.countAll<number>().as("n")).where("owner_id", "=", ownerId).where("created_at", ">=", sinceMs).executeTakeFirst(),
      );
      return Number(r?.n ?? 0);
    },
    async markReady(id, sha256, done) {
      const r = await db
        .updateTable("photos")
        .set({
          status: "ready", width: done.width, height: done.height, thumb_key: done.thumbnail.key,
          thumb_width: done.thumbnail.width, thumb_height: done.thumbnail.height, error: null, updated_at: Date.now(),
        })
        .where("id", "=", id).where("sha256", "=", sha256).where("status", "!=", "ready")
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async markFailed(id, sha256, reason) {
      const r = await db
        .updateTable("photos")
        .set({ status: "failed", error: reason.slice(0, 500), updated_at: Date.now() })
        .where("id", "=", id).where("sha256", "=", sha256).where("status", "=", "pending")
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async pendingWithoutOutbox(limit) {
      const rows = await db
        .selectFrom("photos")
        .select(["id", "sha256"])
        .where("status", "=", "pending")
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom("photo_outbox").select("photo_outbox.id").whereRef("photo_outbox.photo_id", "=", "photos.id"))))
        .orderBy("id")
        .limit(limit)
        .execute();
      return rows.map((r): PhotoJob => ({ photoId: r.id, sha256: r.sha256 }));
    },
  };
  return Object.freeze(store);
}

export function createOutbox(handle: DbHandle): Outbox {
  const { db } = handle;
  const outbox: Outbox = {
    async claim(limit, leaseMs) {
      const now = Date.now();
      return db.transaction().execute(async (trx) => {
        let q = trx.selectFrom("photo_outbox").select(["id", "photo_id", "sha256"]).where("lease_until", "<=", now).orderBy("id").limit(limit);
        // Other relays skip the rows this one holds instead of waiting for them (SQLite's write lock serialises anyway).
        if (handle.dialect === "mysql") q = q.forUpdate().skipLocked();
        const rows = await q.execute();
        if (rows.length === 0) return [];
        await trx.updateTable("photo_outbox").set({ lease_until: now + leaseMs }).where("id", "in", rows.map((r) => r.id)).execute();
        return rows.map((r): OutboxRow => ({ id: r.id, job: { photoId: r.photo_id, sha256: r.sha256 } }));
      });
    },
    async remove(ids) {
      if (ids.length) await db.deleteFrom("photo_outbox").where("id", "in", ids).execute();
    },
    async pending() {
      const r = await db.selectFrom("photo_outbox").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirst();
      return Number(r?.n ?? 0);
    },
  };
  return Object.freeze(outbox);
}
