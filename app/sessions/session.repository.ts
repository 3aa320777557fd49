/**
 * The sessions table: every session's durable record, whichever store fronts it. With no Redis the row also carries
 * the session's read-your-writes record; with Redis, Redis holds that and the row only says the session exists.
 */
import { sql } from "kysely";
import type { DbHandle } from "../db/connect.ts";
import type { SessionTable } from "../db/schema.ts";
import type { Session, SessionWrite } from "../ports.ts";
import { withWrite } from "./session-writes.ts";

export interface SessionRecords {
  insert(session: Session): Promise<void>;
  /** The unexpired session with this token hash, read on the primary: a login of a moment ago must be found. */
  find(tokenHash: string): Promise<Session | null>;
  remove(tokenHash: string): Promise<void>;
  /** Record a write in the row, under a row lock, so concurrent writes of one session from several processes all count. */
  recordWrite(tokenHash: string, write: SessionWrite): Promise<void>;
  /** The primary's GTID position now (MariaDB's @@gtid_binlog_pos); null on SQLite or when it cannot be read. */
  primaryPosition(): Promise<string | null>;
  /** Delete the rows expired before `now`; how many went. */
  sweep(now: number): Promise<number>;
}

function toSession(row: SessionTable): Session {
  let recentWrites: Record<string, number> = {};
  try {
    recentWrites = row.recent_writes ? (JSON.parse(row.recent_writes) as Record<string, number>) : {};
  } catch {
    // a damaged record only loses the floors; the GTID and the session itself still hold
  }
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    username: row.username,
    expiresAt: Number(row.expires_at),
    lastWriteGtid: row.last_write_gtid,
    recentWrites,
  };
}

export function createSessionRepository(handle: DbHandle): SessionRecords {
  const { db } = handle;
  const mysql = handle.dialect === "mysql";
  return {
    async insert(s) {
      await db
        .insertInto("sessions")
        .values({
          token_hash: s.tokenHash,
          user_id: s.userId,
          username: s.username,
          expires_at: s.expiresAt,
          last_write_gtid: s.lastWriteGtid,
          recent_writes: JSON.stringify(s.recentWrites ?? {}),
          created_at: Date.now(),
        })
        .execute();
    },
    async find(tokenHash) {
      const row = await db.selectFrom("sessions").selectAll().where("token_hash", "=", tokenHash).where("expires_at", ">", Date.now()).executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async remove(tokenHash) {
      await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).execute();
    },
    async recordWrite(tokenHash, write) {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom("sessions")
          .selectAll()
          .where("token_hash", "=", tokenHash)
          .$if(mysql, (q) => q.forUpdate())
          .executeTakeFirst();
        if (!row) return; // logged out or swept: nothing to record
        const next = withWrite(toSession(row), write);
        await trx
          .updateTable("sessions")
          .set({ last_write_gtid: next.lastWriteGtid, recent_writes: JSON.stringify(next.recentWrites ?? {}) })
          .where("token_hash", "=", tokenHash)
          .execute();
      });
    },
    async primaryPosition() {
      if (!mysql) return null;
      try {
        const { rows } = await sql<{ pos: string | null }>`SELECT @@gtid_binlog_pos AS pos`.execute(db);
        return rows[0]?.pos || null;
      } catch {
        return null;
      }
    },
    async sweep(now) {
      const res = await db.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}

/** Delete expired rows every `everyMs` (errors, e.g. during a write freeze, wait for the next round); returns a stop. */
export function sweepExpiredSessions(records: SessionRecords, everyMs = 10 * 60_000): () => void {
  const timer = setInterval(() => void records.sweep(Date.now()).catch(() => undefined), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
