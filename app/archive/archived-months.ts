/**
 * Which months are in the archive, for the read path: an item id from such a month that the database no longer has
 * answers 410 Gone (the archive is for the warehouse, not for serving). Cached for a minute; months only ever join.
 */
import type { Context, Next } from "hono";
import type { DbHandle } from "../db/connect.ts";
import { idTime, monthOf } from "./month.ts";

export interface ArchivedMonths {
  has(month: string): Promise<boolean>;
}

export function createArchivedMonths(handle: DbHandle, ttlMs = 60_000): ArchivedMonths {
  let cached: { at: number; months: Promise<Set<string>> } | undefined;
  const load = async () => {
    const rows = await handle.db.selectFrom("archive_months").select("month").where("state", "in", ["written", "done"]).execute();
    return new Set(rows.map((r) => r.month));
  };
  return {
    async has(month) {
      if (!cached || Date.now() - cached.at > ttlMs) {
        const months = load();
        cached = { at: Date.now(), months };
        months.catch(() => (cached = undefined));
      }
      return (await cached.months).has(month);
    },
  };
}

/** After GET /v1/items/:id answered 404: 410 when the id's month was archived. */
export function goneWhenArchived(archived: ArchivedMonths) {
  return async function archivedItems(c: Context, next: Next) {
    await next();
    if (c.req.method !== "GET" || c.res.status !== 404) return;
    const at = idTime(c.req.param("id") ?? "");
    if (at === null || !(await archived.has(monthOf(at)).catch(() => false))) return;
    const month = monthOf(at);
    const body = {
      type: "/problems/archived",
      title: "Gone",
      status: 410,
      detail: `items from ${month} moved to the archive (the data warehouse); the service no longer serves them`,
    };
    c.res = new Response(JSON.stringify(body), { status: 410, headers: { "Content-Type": "application/problem+json" } });
  };
}
