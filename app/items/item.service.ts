/**
 * The item read/write path: cache-aside reads (a cache that cannot be reached is a bypass, never an error), writes in
 * one primary transaction, then the cache marker and the session's GTID after commit.
 */
import { createHash } from "node:crypto";
import type { Deps } from "../wiring.ts";
import type { CacheResult } from "../health/metrics.ts";
import type { CachedItem, ReadContext, Session } from "../ports.ts";
import { AppError } from "../http/problem.ts";

type ServiceDeps = Pick<Deps, "items" | "cache" | "sessions" | "metrics" | "logger">;

export function createItemService(deps: ServiceDeps) {
  const { items, cache, sessions } = deps;
  const cacheCounter = deps.metrics.cacheRequests;

  async function afterWrite(session: Session, gtid: string | null, cacheUpdate: () => Promise<void>) {
    // The write is committed: failures here must not turn it into an error. A missed marker leaves the old entry
    // until its TTL (the no-stale-cache promise's bound); a missed GTID only weakens read-your-writes on replicas.
    await cacheUpdate().catch((err: Error) => deps.logger.warn({ err: err.message }, "cache invalidation failed after commit"));
    if (gtid) await sessions.recordWrite(session.tokenHash, gtid).catch(() => undefined);
  }

  return {
    async read(id: string, ctx: ReadContext): Promise<{ item: CachedItem | null; cache: CacheResult }> {
      let cacheUp = true;
      try {
        const hit = await cache.get(id);
        if (hit) {
          cacheCounter.inc({ result: "hit" });
          return { item: hit, cache: "hit" };
        }
      } catch {
        cacheUp = false;
      }
      const item = await items.findById(id, ctx);
      if (item && cacheUp) await cache.set(item).catch(() => undefined);
      const result: CacheResult = cacheUp ? "miss" : "bypass";
      cacheCounter.inc({ result });
      return { item: item ? { version: item.version, json: JSON.stringify(item) } : null, cache: result };
    },

    list: items.listByOwner,

    async create(session: Session, content: string, idempotencyKey: string | undefined) {
      const requestHash = createHash("sha256").update(JSON.stringify({ content })).digest("hex");
      const idempotency = idempotencyKey ? { key: idempotencyKey, requestHash } : undefined;
      const { value, gtid } = await items.create({ ownerId: session.userId, content, idempotency });
      if (value.replayOf && value.replayOf.requestHash !== requestHash) {
        throw new AppError(422, "idempotency-key-reused", "this Idempotency-Key was already used with a different body; use a new key");
      }
      if (!value.replayOf) await afterWrite(session, gtid, () => cache.invalidate(value.item.id, value.item.version));
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
      await afterWrite(session, gtid, () => cache.invalidate(id, value.item.version));
      return value.item;
    },

    async remove(session: Session, id: string) {
      const { value, gtid } = await items.remove({ id, ownerId: session.userId });
      if (value === "not-found") throw new AppError(404, "not-found", `no item with id ${id}`);
      if (value === "forbidden") throw new AppError(403, "not-owner", "only the item's owner can delete it");
      await afterWrite(session, gtid, () => cache.remove(id));
    },
  };
}
