/**
 * /admin/cache/flush and /admin/cache/warm for the cache-flush and cache-warm runbooks. Protected by ADMIN_TOKEN
 * (Authorization: Bearer); without one configured they are not mounted at all (404).
 */
import { Hono } from "hono";
import { timingSafeEqual, createHash } from "node:crypto";
import { z } from "zod";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "../http/env.ts";
import { requestLog } from "../http/observe.ts";
import { AppError } from "../http/problem.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function adminRoutes(deps: Pick<Deps, "cache" | "items" | "logger" | "l1">, adminToken: string) {
  const expected = digest(adminToken);
  return new Hono<AppEnv>()
    .use(async function adminOnly(c, next) {
      const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
      // Compare digests so neither the length nor the content leaks through timing.
      if (!m?.[1] || !timingSafeEqual(digest(m[1]), expected)) throw new AppError(401, "admin-token-required", "send Authorization: Bearer <ADMIN_TOKEN>");
      await next();
    })
    .post("/cache/flush", async (c) => {
      const removed = await deps.cache.flush();
      // Every process's L1 (this one's too) is emptied by the flush's message on the invalidation channel; this
      // one's is emptied here as well, so the answer is not sent before its own L1 is empty.
      deps.l1?.flush();
      requestLog(c).warn({ removed }, "item cache flushed by admin");
      return c.json({ removed });
    })
    .post("/cache/warm", async (c) => {
      const parsed = z.coerce.number().int().min(1).max(100_000).default(1000).safeParse(c.req.query("limit") || undefined);
      if (!parsed.success) throw new AppError(400, "invalid-query", "limit must be an integer 1-100000");
      const newest = await deps.items.newest(parsed.data);
      let stored = 0;
      for (const item of newest) if (await deps.cache.set(item)) stored += 1;
      return c.json({ read: newest.length, stored });
    });
}
