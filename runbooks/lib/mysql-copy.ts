/**
 * Copy a MySQL database table by table and prove the copy: row counts and an order-independent
 * checksum per table (BIT_XOR of CRC32 over every column, with NULL markers), computed by each
 * server over its own rows, so nothing has to fit in memory and the two sides never trust each other.
 */
import type { Connection, RowDataPacket } from "mysql2/promise";

export interface TableFacts {
  rows: number;
  checksum: string;
}

const q = (name: string) => "`" + name.replace(/`/g, "``") + "`";

export async function databaseName(conn: Connection): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>("SELECT DATABASE() AS db");
  const db = rows[0]?.db as string | null;
  if (!db) throw new Error("the connection URL names no database: add it as the path, e.g. mysql://user@host:3306/app");
  return db;
}

export async function listTables(conn: Connection): Promise<string[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  );
  return rows.map((r) => r.t as string);
}

async function columns(conn: Connection, table: string): Promise<{ all: string[]; key: string[] }> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS c, COLUMN_KEY AS k FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return { all: rows.map((r) => r.c as string), key: rows.filter((r) => r.k === "PRI").map((r) => r.c as string) };
}

export async function tableFacts(conn: Connection, table: string): Promise<TableFacts> {
  const { all } = await columns(conn, table);
  const parts = all.flatMap((c) => [`ISNULL(${q(c)})`, q(c)]);
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n, COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', ${parts.join(", ")}))), 0) AS crc FROM ${q(table)}`,
  );
  return { rows: Number(rows[0]?.n ?? 0), checksum: String(rows[0]?.crc ?? "0") };
}

export async function createTableLike(source: Connection, target: Connection, table: string): Promise<void> {
  const [rows] = await source.query<RowDataPacket[]>(`SHOW CREATE TABLE ${q(table)}`);
  const ddl = rows[0]?.["Create Table"] as string;
  await target.query("SET SESSION foreign_key_checks = 0");
  await target.query(ddl.replace(/^CREATE TABLE/, "CREATE TABLE IF NOT EXISTS"));
}

/** Copy every row in primary-key order, `batch` rows per INSERT, calling `onBatch` with the rows copied so far. Returns the rows copied. */
export async function copyTable(
  source: Connection,
  target: Connection,
  table: string,
  batch: number,
  onBatch?: (copied: number) => void,
): Promise<number> {
  const { all, key } = await columns(source, table);
  const order = (key.length ? key : all).map(q).join(", ");
  const cols = all.map(q).join(", ");
  await target.query("SET SESSION foreign_key_checks = 0, unique_checks = 0");
  let copied = 0;
  let last: unknown[] | undefined;
  for (;;) {
    // Keyset pagination on the primary key (a row-tuple comparison), so late pages cost as little as early ones.
    const where = key.length && last ? `WHERE (${key.map(q).join(", ")}) > (${key.map(() => "?").join(", ")})` : "";
    const sql = key.length
      ? `SELECT ${cols} FROM ${q(table)} ${where} ORDER BY ${order} LIMIT ${batch}`
      : `SELECT ${cols} FROM ${q(table)} ORDER BY ${order} LIMIT ${batch} OFFSET ${copied}`;
    const [rows] = await source.query<RowDataPacket[]>({ sql, rowsAsArray: true }, last ?? []);
    if (rows.length === 0) break;
    await target.query(`INSERT INTO ${q(table)} (${cols}) VALUES ?`, [rows]);
    copied += rows.length;
    onBatch?.(copied);
    const tail = rows[rows.length - 1] as unknown as unknown[];
    last = key.map((k) => tail[all.indexOf(k)]);
    if (rows.length < batch) break;
  }
  return copied;
}
