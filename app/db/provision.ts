/**
 * The migration step's admin half. With an account that may create databases and users (the box's root over its
 * socket at stage 0, the RDS master user from stage 1) it creates the service's database and its application user,
 * sets that user's password, and grants it only what the service does: read and write rows. Tables, the migration
 * bookkeeping and the replica heartbeat table are made by the migrations, run as the admin, so the service needs no
 * DDL; the GTID reads (@@gtid_binlog_pos, @@gtid_slave_pos, @@last_gtid, MASTER_GTID_WAIT) need no privilege.
 * Idempotent: running it again changes nothing but the password, which it sets to the one given each time.
 */
import { sql, type Kysely } from "kysely";

/** Everything the service does with its rows; nothing else. */
export const APP_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

export interface AppAccount {
  database: string;
  user: string;
  /** The host part of the account. '%': the service connects from other machines (RDS), or over TCP on the box. */
  host: string;
  password: string;
}

export interface ProvisionResult {
  createdDatabase: boolean;
  createdUser: boolean;
  /** SHOW GRANTS for the user afterwards, password hashes removed. */
  grants: string[];
}

const hasCode = (err: unknown, code: string) => (err as { code?: unknown } | null)?.code === code;

export async function provisionAppAccount(admin: Kysely<unknown>, account: AppAccount): Promise<ProvisionResult> {
  const { database, user, host, password } = account;
  const { rows: existing } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = ${database}`.execute(admin);
  const createdDatabase = Number(existing[0]?.n ?? 0) === 0;
  await sql`CREATE DATABASE IF NOT EXISTS ${sql.id(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(admin);

  let createdUser = false;
  try {
    await sql`SHOW GRANTS FOR ${user}@${host}`.execute(admin);
  } catch (err) {
    if (!hasCode(err, "ER_NONEXISTING_GRANT")) throw err;
    createdUser = true;
  }
  // The password goes as a bound value (escaped by the driver), never into logs or errors of ours.
  if (createdUser) await sql`CREATE USER IF NOT EXISTS ${user}@${host} IDENTIFIED BY ${password}`.execute(admin);
  else await sql`ALTER USER ${user}@${host} IDENTIFIED BY ${password}`.execute(admin);
  await sql`GRANT ${sql.raw(APP_PRIVILEGES.join(", "))} ON ${sql.id(database)}.* TO ${user}@${host}`.execute(admin);

  const { rows } = await sql<Record<string, string>>`SHOW GRANTS FOR ${user}@${host}`.execute(admin);
  const grants = rows.map((r) => (Object.values(r)[0] ?? "").replace(/ IDENTIFIED (BY PASSWORD|VIA) .*$/, ""));
  return { createdDatabase, createdUser, grants };
}
