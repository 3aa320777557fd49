/** mysql2 pools and kysely instances for MySQL/MariaDB URLs. */
import { Kysely, MysqlDialect } from "kysely";
import { createPool, type Pool } from "mysql2";

export interface MysqlPoolOptions {
  /** @default 10 */
  connectionLimit?: number;
  /** A dead server should fail fast so reads move elsewhere. @default 2000 */
  connectTimeoutMs?: number;
}

/**
 * A pool whose rows decode exactly as the service's primary pool does (app/db/connect.ts), so an
 * item read from a replica is byte-for-byte the item read from the primary.
 */
export function createMysqlPool(url: string, options: MysqlPoolOptions = {}): Pool {
  const uri = new URL(url);
  uri.protocol = "mysql:";
  return createPool({
    uri: uri.toString(),
    connectionLimit: options.connectionLimit ?? 10,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    charset: "utf8mb4_unicode_ci",
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
  });
}

export function createMysqlKysely<DB>(url: string, options: MysqlPoolOptions = {}): Kysely<DB> {
  return new Kysely<DB>({ dialect: new MysqlDialect({ pool: createMysqlPool(url, options) }) });
}

/** host:port of a database URL: a label for logs and metrics that never carries credentials. */
export function databaseLabel(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "3306"}`;
}
