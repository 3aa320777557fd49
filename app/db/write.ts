/**
 * Runs a write transaction on the primary and reports the primary's GTID after COMMIT, read on the same connection
 * (MariaDB's @@last_gtid), so a session can carry it for read-your-writes on replicas. SQLite: gtid is null.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { DbHandle } from "./connect.ts";
import type { Database } from "./schema.ts";
import type { WriteResult } from "../ports.ts";
import { isReadOnly, isUnavailable } from "./errors.ts";
import { unavailable, writesFrozen } from "../http/problem.ts";

export type Trx = Transaction<Database>;

export function createWriter(handle: DbHandle) {
  // Unknown on MySQL (it tracks GTIDs differently): after the first failure stop asking.
  let gtidSupported = handle.dialect === "mysql";

  async function readGtid(conn: Kysely<Database>): Promise<string | null> {
    if (!gtidSupported) return null;
    try {
      const { rows } = await sql<{ g: string | null }>`select @@last_gtid as g`.execute(conn);
      return rows[0]?.g || null;
    } catch (err) {
      if (isUnavailable(err)) return null;
      gtidSupported = false;
      return null;
    }
  }

  return async function write<T>(fn: (trx: Trx) => Promise<T>): Promise<WriteResult<T>> {
    try {
      if (handle.dialect === "sqlite") return { value: await handle.db.transaction().execute(fn), gtid: null };
      return await handle.db.connection().execute(async (conn) => {
        const value = await conn.transaction().execute(fn);
        return { value, gtid: await readGtid(conn) };
      });
    } catch (err) {
      throw guardDbError(err);
    }
  };
}

/** Turn "the database cannot be reached" or "is read-only" into a 503 with Retry-After; anything else passes through. */
export function guardDbError(err: unknown): unknown {
  if (isReadOnly(err)) return writesFrozen();
  return isUnavailable(err) ? unavailable("database") : err;
}

export async function guarded<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw guardDbError(err);
  }
}
