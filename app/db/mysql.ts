/** A kysely instance over a mysql2 pool for one MySQL/MariaDB URL. */
import { Kysely, MysqlDialect } from "kysely";
import { createPool } from "mysql2";

export interface MysqlPoolOptions {
  /** @default 10 */
  connectionLimit?: number;
  /** A dead server should fail fast so reads move elsewhere. @default 2000 */
  connectTimeoutMs?: number;
}

export function createMysqlKysely<DB>(url: string, options: MysqlPoolOptions = {}): Kysely<DB> {
  const pool = createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 10,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    enableKeepAlive: true,
  });
  return new Kysely<DB>({ dialect: new MysqlDialect({ pool }) });
}

/** host:port of a database URL: a label for logs and metrics that never carries credentials. */
export function databaseLabel(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "3306"}`;
}
