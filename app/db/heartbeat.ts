/**
 * Replication lag from a heartbeat row: the primary stamps one row with its own clock at every
 * health check, the row replicates like any write, and a replica's lag is how far its copy of the
 * stamp trails the primary's. Both stamps come from the primary's clock, so clock skew between
 * servers does not enter. See docs/replicas.md for why this and not Seconds_Behind_Master.
 */
import { sql, type Kysely } from "kysely";
import { gtidCovers } from "./gtid.ts";

export const HEARTBEAT_TABLE = "replication_heartbeat";

/** Idempotent; migration 0003 runs it, so the application user needs no CREATE privilege. */
export async function createHeartbeatTable<DB>(primary: Kysely<DB>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS ${sql.table(HEARTBEAT_TABLE)} (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    stamped_us BIGINT NOT NULL
  ) ENGINE=InnoDB`.execute(primary);
}

/** Create the table only when it is missing: even CREATE TABLE IF NOT EXISTS needs the CREATE privilege. */
export async function ensureHeartbeatTable<DB>(primary: Kysely<DB>): Promise<void> {
  try {
    await sql`SELECT 1 FROM ${sql.table(HEARTBEAT_TABLE)} LIMIT 0`.execute(primary);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "ER_NO_SUCH_TABLE") throw err;
    await createHeartbeatTable(primary);
  }
}

export interface PrimaryStamp {
  /** The newest stamp on the primary, µs since the epoch by the primary's clock. */
  stampedUs: number;
  /** @@gtid_binlog_pos just before stamping: a replica that has applied it was current at the stamp. */
  positionBefore: string;
}

/**
 * Stamp the primary and return the newest stamp it holds. GREATEST keeps the stamp from going back
 * when several app servers stamp at once.
 */
export async function stampPrimary<DB>(primary: Kysely<DB>): Promise<PrimaryStamp> {
  const before = await sql<{ pos: string | null }>`SELECT @@gtid_binlog_pos AS pos`.execute(primary);
  await sql`INSERT INTO ${sql.table(HEARTBEAT_TABLE)} (id, stamped_us)
    VALUES (1, CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED))
    ON DUPLICATE KEY UPDATE stamped_us = GREATEST(stamped_us, VALUES(stamped_us))`.execute(primary);
  const { rows } = await sql<{ stamped_us: number | string }>`
    SELECT stamped_us FROM ${sql.table(HEARTBEAT_TABLE)} WHERE id = 1`.execute(primary);
  const stamp = rows[0]?.stamped_us;
  if (stamp === undefined) throw new Error(`the ${HEARTBEAT_TABLE} row vanished on the primary`);
  return { stampedUs: Number(stamp), positionBefore: before.rows[0]?.pos ?? "" };
}

export interface ReplicaProbe {
  /** The replica's copy of the stamp; undefined before the first stamp has replicated. */
  stampedUs: number | undefined;
  /** @@gtid_slave_pos: what the replica has applied. */
  appliedGtid: string;
}

/** One round trip: the replica's stamp and its applied GTID position. */
export async function probeReplica<DB>(replica: Kysely<DB>): Promise<ReplicaProbe> {
  const { rows } = await sql<{ stamped_us: number | string | null; applied: string | null }>`
    SELECT (SELECT stamped_us FROM ${sql.table(HEARTBEAT_TABLE)} WHERE id = 1) AS stamped_us,
           @@gtid_slave_pos AS applied`.execute(replica);
  const row = rows[0];
  return {
    stampedUs: row?.stamped_us === null || row?.stamped_us === undefined ? undefined : Number(row.stamped_us),
    appliedGtid: row?.applied ?? "",
  };
}

/**
 * Lag in seconds, an upper bound: 0 when the replica has applied everything the primary had just
 * before this stamp (so it is current to within one round trip); otherwise how far its stamp trails the primary's (true lag plus at most one
 * check interval); +Infinity before any stamp has arrived.
 */
export function lagSeconds(primary: PrimaryStamp, replica: ReplicaProbe): number {
  if (primary.positionBefore !== "" && gtidCovers(replica.appliedGtid, primary.positionBefore)) return 0;
  if (replica.stampedUs === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, primary.stampedUs - replica.stampedUs) / 1e6;
}
