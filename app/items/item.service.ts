/**
 * The item read/write path: reads through item-reader.ts (L1, shared cache, single-flight, database), writes in one
 * primary transaction, then the cache marker and the session's record of the write (GTID, item version) after commit.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../wiring.ts";
import type { Session } from "../ports.ts";
import { AppError } from "../http/problem.ts";
import { DELETED } from "../cache/cache-rules.ts";
import { createItemReader } from "./item-reader.ts";

type ServiceDeps = Pick<Deps, "items" | "cache" | "sessions" | "metrics" | "logger" | "l1" | "config">;

export function createItemService(deps: ServiceDeps) {
  const { items, cache, sessions, config } = deps;
  const reader = createItemReader(deps, {
    l1: deps.l1,
    negativeTtlMs: config.CACHE_NEGATIVE_TTL_SECONDS * 1000,
    leaseMs: config.CACHE_FILL_LEASE_MS,
    fillWaitMs: config.CACHE_FILL_WAIT_MS,
    floorTtlMs: config.CACHE_TTL_SECONDS * 1100,
  });

  async function afterWrite(session: Session, gtid: string | null, id: string, version: number) {
    reader.written(id, version);
    // The write is committed: failures here must not turn it into an error. A missed marker is retried in the
    // background while this process's reads refuse older cached versions; other processes may serve the old entry
    // until the retry lands or its TTL ends, except to this session, whose record of the write makes every process
    // refuse older cached copies. A missed record only weakens read-your-writes.
    const mark = version === DELETED ? cache.remove(id) : cache.invalidate(id, version);
    await Promise.all([
      mark.catch((err: Error) => {
        reader.unconfirmed(id, version);
        deps.logger.warn({ err: err.message }, "cache invalidation failed after commit; retrying in the background");
      }),
      sessions.recordWrite(session.tokenHash, { itemId: id, version, gtid }).catch((err: Error) => {
        deps.logger.warn({ err: err.message }, "could not record the write in the session; its read-your-writes hint is lost");
      }),
    ]);
  }

  return {
    read: reader.read,
    peek: reader.peek,

    list: items.listByOwner,

    async create(session: Session, content: string, idempotencyKey: string | undefined) {
      const requestHash = createHash("sha256").update(JSON.stringify({ content })).digest("hex");
      const idempotency = idempotencyKey ? { key: idempotencyKey, requestHash } : undefined;
      const { value, gtid } = await items.create({ ownerId: session.userId, content, idempotency });
      if (value.replayOf && value.replayOf.requestHash !== requestHash) {
        throw new AppError(422, "idempotency-key-reused", "this Idempotency-Key was already used with a different body; use a new key");
      }
      if (!value.replayOf) await afterWrite(session, gtid, value.item.id, value.item.version);
      return { item: value.item, replayed: Boolean(value.replayOf) };
    },

    async update(session: Session, id: string, content: string, ifVersion: number | null) {
      const { value, gtid } = await items.update({ id, ownerId: session.userId, content, ifVersion });
      switch (value.kind) {
        case "not-found":
          throw new AppError(404, "not-found", `no item with id ${id}`);
        case "forbidden":
          throw new AppError(403, "not-owner", "only the item's owner can change it");
        case "version-mismatch":
          throw new AppError(412, "version-mismatch", `If-Match names version ${ifVersion}, the item is at version ${value.current}; read it again`);
      }
      await afterWrite(session, gtid, id, value.item.version);
      return value.item;
    },

    async remove(session: Session, id: string) {
      const { value, gtid } = await items.remove({ id, ownerId: session.userId });
      if (value === "not-found") throw new AppError(404, "not-found", `no item with id ${id}`);
      if (value === "forbidden") throw new AppError(403, "not-owner", "only the item's owner can delete it");
      await afterWrite(session, gtid, id, DELETED);
    },
  };
}

export type ItemService = ReturnType<typeof createItemService>;
