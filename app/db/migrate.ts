/**
 * Applies pending migrations. Safe when several processes run it at once: on MariaDB/MySQL kysely's migrator holds
 * GET_LOCK for the run; on SQLite the whole run is one transaction that takes the write lock first.
 */
import { Migrator, type MigrationProvider } from "kysely";
import { openDatabase, type DbHandle } from "./connect.ts";
import { migrations } from "./migrations.ts";

export async function migrate(opts: { databaseUrl?: string; dataDir?: string }): Promise<{ applied: string[] }> {
  const handle = openDatabase({ ...opts, poolSize: 2 });
  try {
    return await migrateWith(handle);
  } finally {
    await handle.close();
  }
}

/** Migrate through an already open database (the service does this at start). */
export async function migrateWith(handle: DbHandle): Promise<{ applied: string[] }> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(handle.dialect) };
  const migrator = new Migrator({ db: handle.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`migration ${failed ?? "(setup)"} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
