/**
 * Applies pending migrations. Safe when several processes run it at once: on MariaDB/MySQL kysely's migrator holds
 * GET_LOCK for the run; on SQLite the whole run is one transaction that takes the write lock first.
 */
import { Migrator, type MigrationProvider } from "kysely";
import { openDatabase, type DbHandle, type OpenOptions } from "./connect.ts";
import { migrations } from "./migrations.ts";

export async function migrate(opts: Omit<OpenOptions, "poolSize">): Promise<{ applied: string[] }> {
  const handle = openDatabase({ ...opts, poolSize: 2 });
  try {
    return await migrateWith(handle);
  } finally {
    await handle.close();
  }
}

/** Migrate through an already open database (the service does this at start). */
export async function migrateWith(
  handle: DbHandle,
  provider: MigrationProvider = { getMigrations: async () => migrations(handle.dialect) },
): Promise<{ applied: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(handle, provider);
    } catch (err) {
      // SQLite: a run whose read snapshot went stale while another process held the lock gets SQLITE_BUSY at once
      // (waiting could deadlock). The run was one transaction and rolled back whole, so running it again is safe.
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (handle.dialect !== "sqlite" || !code?.startsWith("SQLITE_BUSY") || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    }
  }
}

async function migrateOnce(handle: DbHandle, provider: MigrationProvider): Promise<{ applied: string[] }> {
  const migrator = new Migrator({ db: handle.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`migration ${failed ?? "(setup)"} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
