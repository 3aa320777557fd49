/**
 * Which months are in the archive, for the read path: an item id from such a month that the database no longer has
 * answers 410 Gone (the archive is for the warehouse, not for serving). Cached for a minute; months only ever join.
 */
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

/**
 * For a GET /v1/items/:id the database does not have: the month the id was made in, when that month was archived
 * (the read answers 410 Gone then); undefined otherwise, or when the archive table cannot be read.
 */
export async function archivedMonthOf(archived: ArchivedMonths, id: string): Promise<string | undefined> {
  const at = idTime(id);
  if (at === null) return undefined;
  const month = monthOf(at);
  return (await archived.has(month).catch(() => false)) ? month : undefined;
}
