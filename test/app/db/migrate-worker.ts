/**
 * Test helper process. Waits until START_AT (ms epoch) so several processes migrate at the same instant.
 * SLOW_SQLITE=<dir>: instead of the real migrations, run one that holds its transaction for 800 ms, which makes the
 * two-process race deterministic; UNLOCKED=1 runs it with kysely's stock SQLite adapter (no lock) to show the race.
 */
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect, sql, type MigrationProvider } from "kysely";
import { migrate, migrateWith } from "../../../app/db/migrate.ts";
import { openDatabase, SQLITE_FILE } from "../../../app/db/connect.ts";

const startAt = Number(process.env.START_AT ?? 0);
while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1));

const slowDir = process.env.SLOW_SQLITE;
if (!slowDir) {
  console.log(JSON.stringify(await migrate({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR })));
} else {
  const slow: MigrationProvider = {
    getMigrations: async () => ({
      "0001_slow": {
        async up(db: Kysely<unknown>) {
          await sql`create table slow_marker (id integer primary key)`.execute(db);
          await new Promise((r) => setTimeout(r, 800));
        },
      },
    }),
  };
  let handle = openDatabase({ dataDir: slowDir });
  if (process.env.UNLOCKED === "1") {
    const db = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(slowDir, SQLITE_FILE), { timeout: 10_000 }) }) });
    handle = { ...handle, db: db as typeof handle.db, close: () => db.destroy() };
  }
  try {
    console.log(JSON.stringify(await migrateWith(handle, slow)));
  } catch (err) {
    console.log(JSON.stringify({ error: (err as Error).message }));
  } finally {
    await handle.close();
  }
}
