/**
 * The seed: a copy of the source database taken inside one consistent snapshot, and the GTID position that
 * snapshot corresponds to, so replication can start exactly where the copy ends. The service keeps writing
 * to the source meanwhile; nothing here locks it.
 */
import type { Connection, RowDataPacket } from "mysql2/promise";
import { createTableLike, listTables } from "../runbooks/lib/mysql-copy.ts";

const q = (name: string) => "`" + name.replace(/`/g, "``") + "`";

export class MoveAborted extends Error {
  override name = "MoveAborted";
  constructor(reason: string) {
    super(reason);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MoveAborted(signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "aborted"));
}

export interface SeedResult {
  gtid: string;
  tables: Record<string, number>;
}

/** What the target held before the seed, so a redo or an abort removes exactly what the seed made. */
export interface TargetBefore {
  databaseExisted: boolean;
  tables: string[];
}

export async function targetBefore(target: Connection, database: string): Promise<TargetBefore> {
  const [db] = await target.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [database]);
  const [tables] = await target.query<RowDataPacket[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", [database]);
  return { databaseExisted: Number(db[0]?.n) > 0, tables: tables.map((r) => r.t as string) };
}

/**
 * Undo a seed: drop the database if the seed created it, else drop the tables it created and empty the ones that
 * were there (they were empty: checkTargetEmpty refused anything else).
 */
export async function clearSeed(source: Connection, target: Connection, database: string, before: TargetBefore): Promise<void> {
  if (!before.databaseExisted) {
    await target.query(`DROP DATABASE IF EXISTS ${q(database)}`);
    return;
  }
  const [exists] = await target.query<RowDataPacket[]>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", [database]);
  await source.query(`USE ${q(database)}`);
  const sourceTables = new Set(await listTables(source));
  for (const { t } of exists) {
    if (!sourceTables.has(t as string)) continue;
    if (before.tables.includes(t as string)) await target.query(`DELETE FROM ${q(database)}.${q(t as string)}`);
    else await target.query(`DROP TABLE ${q(database)}.${q(t as string)}`);
  }
}

/** Refuse a target that already holds rows in any of the source's tables: the seed never overwrites data. */
export async function checkTargetEmpty(source: Connection, target: Connection, database: string): Promise<void> {
  await source.query(`USE ${q(database)}`);
  const tables = await listTables(source);
  if (tables.length === 0) throw new Error(`the source database ${database} has no tables: check the source URL and the database name`);
  const [exists] = await target.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [database]);
  if (Number(exists[0]?.n) === 0) return;
  const full: string[] = [];
  for (const t of tables) {
    const [rows] = await target.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
      [database, t],
    );
    if (Number(rows[0]?.n) === 0) continue;
    const [has] = await target.query<RowDataPacket[]>(`SELECT 1 FROM ${q(database)}.${q(t)} LIMIT 1`);
    if (has.length) full.push(t);
  }
  if (full.length)
    throw new Error(`the target already holds rows in ${database}: ${full.join(", ")}; a move seeds an empty database (nothing was changed)`);
}

/**
 * Copy every table of `database` at one snapshot and return the snapshot's GTID position (BINLOG_GTID_POS of
 * the binlog coordinates MariaDB reports for a consistent-snapshot transaction).
 */
export async function seed(
  source: Connection,
  target: Connection,
  database: string,
  opts: { batch: number; signal?: AbortSignal; log: (line: string) => void },
): Promise<SeedResult> {
  await target.query(`CREATE DATABASE IF NOT EXISTS ${q(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await target.query(`USE ${q(database)}`);
  await source.query(`USE ${q(database)}`);
  await source.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  await source.query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  try {
    const [status] = await source.query<RowDataPacket[]>("SHOW STATUS WHERE Variable_name IN ('Binlog_snapshot_file', 'Binlog_snapshot_position')");
    const value = (n: string) => status.find((r) => r.Variable_name === n)?.Value as string | undefined;
    const [pos] = await source.query<RowDataPacket[]>("SELECT BINLOG_GTID_POS(?, ?) AS gtid", [value("Binlog_snapshot_file") ?? "", Number(value("Binlog_snapshot_position") ?? 0)]);
    const gtid = pos[0]?.gtid as string | null;
    if (gtid === null || gtid === undefined) throw new Error("the source has no binary log position for the snapshot: start its MariaDB with log_bin on");

    const tables = await listTables(source);
    const copied: Record<string, number> = {};
    await target.query("SET SESSION foreign_key_checks = 0, unique_checks = 0");
    for (const t of tables) {
      throwIfAborted(opts.signal);
      await createTableLike(source, target, t);
      copied[t] = await copyRows(source, target, t, opts.batch, opts.signal);
      opts.log(`${t}: ${copied[t]} rows`);
    }
    return { gtid, tables: copied };
  } finally {
    await source.query("COMMIT").catch(() => undefined);
  }
}

async function copyRows(source: Connection, target: Connection, table: string, batch: number, signal?: AbortSignal): Promise<number> {
  const [cols] = await source.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME AS c, COLUMN_KEY AS k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    [table],
  );
  const all = cols.map((r) => r.c as string);
  const key = cols.filter((r) => r.k === "PRI").map((r) => r.c as string);
  const list = all.map(q).join(", ");
  let copied = 0;
  let last: unknown[] | undefined;
  for (;;) {
    throwIfAborted(signal);
    // Keyset pagination on the primary key, so late pages cost what early ones do; OFFSET only for keyless tables.
    const where = key.length && last ? `WHERE (${key.map(q).join(", ")}) > (${key.map(() => "?").join(", ")})` : "";
    const sql = key.length
      ? `SELECT ${list} FROM ${q(table)} ${where} ORDER BY ${key.map(q).join(", ")} LIMIT ${batch}`
      : `SELECT ${list} FROM ${q(table)} ORDER BY ${all.map(q).join(", ")} LIMIT ${batch} OFFSET ${copied}`;
    const [rows] = await source.query<RowDataPacket[]>({ sql, rowsAsArray: true }, last ?? []);
    if (rows.length === 0) break;
    await target.query(`INSERT INTO ${q(table)} (${list}) VALUES ?`, [rows]);
    copied += rows.length;
    const tail = rows[rows.length - 1] as unknown as unknown[];
    last = key.map((k) => tail[all.indexOf(k)]);
    if (rows.length < batch) break;
  }
  return copied;
}

/**
 * Copy the accounts that hold grants on `database` (the application user) to the target with their password
 * hashes, so the service logs in there with the password it already has. An account the target has is left alone.
 */
export async function copyAccounts(source: Connection, target: Connection, database: string): Promise<string[]> {
  const [grantees] = await source.query<RowDataPacket[]>(
    "SELECT DISTINCT GRANTEE AS g FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ?",
    [database],
  );
  const copied: string[] = [];
  for (const { g } of grantees) {
    const m = /^'(.*)'@'(.*)'$/.exec(g as string);
    if (!m) continue;
    const [, user = "", host = ""] = m;
    const [has] = await target.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM mysql.user WHERE User = ? AND Host = ?", [user, host]);
    if (Number(has[0]?.n) > 0) continue;
    const [create] = await source.query<RowDataPacket[]>("SHOW CREATE USER ?@?", [user, host]);
    await target.query(String(Object.values(create[0] ?? {})[0]));
    const [grants] = await source.query<RowDataPacket[]>("SHOW GRANTS FOR ?@?", [user, host]);
    for (const row of grants) {
      const grant = String(Object.values(row)[0]);
      if (/^GRANT USAGE ON \*\.\*/.test(grant)) continue; // the account itself, made above
      await target.query(grant);
    }
    copied.push(`${user}@${host}`);
  }
  return copied;
}
