/** Opens the primary database: MariaDB/MySQL through a mysql2 pool, or the embedded SQLite file. */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, MysqlDialect, SqliteDialect, SqliteAdapter } from "kysely";
import { createMysqlPool, type MysqlAccess } from "./mysql.ts";
import type { Database, Dialect } from "./schema.ts";

export interface DbHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Connections open and in use, for /metrics (undefined for SQLite's single connection). */
  poolStats(): { total: number; free: number; queued: number } | undefined;
  close(): Promise<void>;
}

export const SQLITE_FILE = "scale.sqlite";

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number;
  /** TLS and the password file, for a database URL. */
  access?: MysqlAccess;
}

export function openDatabase(opts: OpenOptions): DbHandle {
  if (opts.databaseUrl) return openMysql(opts.databaseUrl, opts.poolSize ?? 10, opts.access ?? {});
  return openSqlite(opts.dataDir ?? ".data");
}

function openMysql(databaseUrl: string, poolSize: number, access: MysqlAccess): DbHandle {
  const pool = createMysqlPool(databaseUrl, { ...access, connectionLimit: poolSize, connectTimeoutMs: 3000 });
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return { db, dialect: "mysql", poolStats: () => pool.stats(), close: () => db.destroy() };
}

/**
 * SQLite adapter whose migrations run in one transaction that starts by writing the lock row, so two processes
 * migrating the same file at once serialise on SQLite's write lock (the stock adapter takes no lock).
 */
export class LockingSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
  override async acquireMigrationLock(db: Kysely<unknown>, opt: { lockTable: string; lockRowId: string; lockTableSchema?: string }): Promise<void> {
    await (db as Kysely<Record<string, { id: string; is_locked: number }>>)
      .updateTable(opt.lockTable)
      .set({ is_locked: 1 })
      .where("id", "=", opt.lockRowId)
      .execute();
  }
}

class LockingSqliteDialect extends SqliteDialect {
  override createAdapter() {
    return new LockingSqliteAdapter();
  }
}

function openSqlite(dataDir: string): DbHandle {
  mkdirSync(resolve(dataDir), { recursive: true });
  const file = join(resolve(dataDir), SQLITE_FILE);
  const dialect = new LockingSqliteDialect({
    database: async () => {
      const conn = new SqliteDatabase(file, { timeout: 10_000 });
      conn.pragma("journal_mode = WAL");
      conn.pragma("synchronous = NORMAL");
      conn.pragma("foreign_keys = ON");
      return conn;
    },
  });
  const db = new Kysely<Database>({ dialect });
  return { db, dialect: "sqlite", poolStats: () => undefined, close: () => db.destroy() };
}

