/** `npm run migrate`: apply pending migrations to DATABASE_URL, or to the embedded SQLite file in DATA_DIR. */
import { loadConfig, ConfigError } from "./config.ts";
import { migrate } from "./db/migrate.ts";

try {
  const config = loadConfig();
  const { applied } = await migrate({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const where = config.DATABASE_URL ? "the database in DATABASE_URL" : `the SQLite file in ${config.DATA_DIR}`;
  console.log(applied.length ? `applied ${applied.join(", ")} to ${where}` : `${where} is up to date`);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migrate failed: ${(err as Error).message}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
