/** ItemStore over kysely: the same queries on MariaDB/MySQL and SQLite. Reads go through the ReadRouter seam. */
import { v7 as uuidv7 } from "uuid";
import type { DbHandle } from "../db/connect.ts";
import type { ItemTable } from "../db/schema.ts";
import { isDuplicateKey } from "../db/errors.ts";
import { createWriter, guarded, type Trx } from "../db/write.ts";
import type { Item, ItemStore, ReadRouter } from "../ports.ts";

export function toItem(row: ItemTable): Item {
  return {
    id: row.id,
    ownerId: row.owner_id,
    content: row.content,
    version: Number(row.version),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

export function createItemRepository(handle: DbHandle, reads: ReadRouter): ItemStore {
  const write = createWriter(handle);

  async function findIdempotent(trx: Trx, ownerId: string, key: string) {
    return trx
      .selectFrom("idempotency_keys")
      .select(["request_hash", "response"])
      .where("owner_id", "=", ownerId)
      .where("idem_key", "=", key)
      .executeTakeFirst();
  }

  async function createOnce(input: Parameters<ItemStore["create"]>[0]) {
    return write(async (trx) => {
      const idem = input.idempotency;
      if (idem) {
        const prior = await findIdempotent(trx, input.ownerId, idem.key);
        if (prior) return { item: JSON.parse(prior.response) as Item, replayOf: { requestHash: prior.request_hash } };
      }
      const now = Date.now();
      const row: ItemTable = { id: uuidv7(), owner_id: input.ownerId, content: input.content, version: 1, created_at: now, updated_at: now };
      await trx.insertInto("items").values(row).execute();
      const item = toItem(row);
      if (idem) {
        await trx
          .insertInto("idempotency_keys")
          .values({ owner_id: input.ownerId, idem_key: idem.key, request_hash: idem.requestHash, item_id: row.id, response: JSON.stringify(item), created_at: now })
          .execute();
      }
      return { item };
    });
  }

  return {
    async findById(id, ctx) {
      const db = await reads.forRead(ctx);
      const row = await guarded(db.selectFrom("items").selectAll().where("id", "=", id).executeTakeFirst());
      return row ? toItem(row) : null;
    },

    async listByOwner(ownerId, { limit, afterId }, ctx) {
      const db = await reads.forRead(ctx);
      let q = db.selectFrom("items").selectAll().where("owner_id", "=", ownerId);
      if (afterId) q = q.where("id", "<", afterId);
      const rows = await guarded(q.orderBy("id", "desc").limit(limit + 1).execute());
      const page = rows.slice(0, limit).map(toItem);
      return { items: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
    },

    async create(input) {
      try {
        return await createOnce(input);
      } catch (err) {
        // Two retries with one key raced: the loser's transaction rolled back whole; replay the winner's result.
        if (input.idempotency && isDuplicateKey(err)) return createOnce(input);
        throw err;
      }
    },

    async update({ id, ownerId, content, ifVersion }) {
      return write(async (trx) => {
        let q = trx
          .updateTable("items")
          .set((eb) => ({ content, version: eb("version", "+", 1), updated_at: Date.now() }))
          .where("id", "=", id)
          .where("owner_id", "=", ownerId);
        if (ifVersion !== null) q = q.where("version", "=", ifVersion);
        const res = await q.executeTakeFirst();
        const row = await trx.selectFrom("items").selectAll().where("id", "=", id).executeTakeFirst();
        if (!row) return { kind: "not-found" as const };
        if (row.owner_id !== ownerId) return { kind: "forbidden" as const };
        if (Number(res.numUpdatedRows) === 0) return { kind: "version-mismatch" as const, current: Number(row.version) };
        return { kind: "updated" as const, item: toItem(row) };
      });
    },

    async remove({ id, ownerId }) {
      return write(async (trx) => {
        const res = await trx.deleteFrom("items").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
        if (Number(res.numDeletedRows) > 0) return "deleted" as const;
        const row = await trx.selectFrom("items").select("owner_id").where("id", "=", id).executeTakeFirst();
        return row ? ("forbidden" as const) : ("not-found" as const);
      });
    },

    async newest(limit) {
      const rows = await guarded(handle.db.selectFrom("items").selectAll().orderBy("id", "desc").limit(limit).execute());
      return rows.map(toItem);
    },
  };
}
