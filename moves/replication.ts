/**
 * The replication port: how a target database becomes a GTID replica of the source and lets go of it again. A plain
 * MariaDB (a local stage, or the box as a target on the way down) takes CHANGE MASTER; RDS for MariaDB refuses it and
 * SET GLOBAL read_only, and offers stored procedures instead. The data move drives either through this interface.
 */
import type { Connection, RowDataPacket } from "mysql2/promise";

export interface ReplicationSource {
  /** The source as the target reaches it (the box's private address on AWS; 127.0.0.1 locally). */
  host: string;
  port: number;
  user: string;
  password: string;
  /** Apply everything after this GTID position. */
  gtid: string;
}

export interface ReplicaStatus {
  configured: boolean;
  /** The IO thread runs or is (re)connecting: "No" only once it stopped for good. */
  ioRunning: boolean;
  sqlRunning: boolean;
  secondsBehind: number | null;
  /** The last IO or SQL error, when a thread stopped on one. */
  error?: string;
}

export interface ReplicationControl {
  readonly kind: "mariadb" | "rds";
  /** Point the target at the source from `gtid` on, and start applying. */
  start(target: Connection, source: ReplicationSource): Promise<void>;
  /** Stop applying; the configuration (and the applied position) stays, so start can continue. */
  stop(target: Connection): Promise<void>;
  /** Forget the source entirely: the target is a primary of its own again. */
  reset(target: Connection): Promise<void>;
  status(target: Connection): Promise<ReplicaStatus>;
  /**
   * Refuse (or allow) writes from ordinary users on the target. RDS manages read_only through its parameter group,
   * so its adapter does nothing: before the switch nothing points at the new instance anyway.
   */
  setTargetReadOnly(target: Connection, readOnly: boolean): Promise<void>;
}

async function slaveStatus(target: Connection): Promise<ReplicaStatus> {
  const [rows] = await target.query<RowDataPacket[]>("SHOW SLAVE STATUS");
  const row = rows[0];
  if (!row || !row.Master_Host) return { configured: false, ioRunning: false, sqlRunning: false, secondsBehind: null };
  const error = [row.Last_IO_Error, row.Last_SQL_Error].filter((e) => typeof e === "string" && e !== "").join("; ");
  return {
    configured: true,
    ioRunning: row.Slave_IO_Running !== "No",
    sqlRunning: row.Slave_SQL_Running === "Yes",
    secondsBehind: row.Seconds_Behind_Master === null ? null : Number(row.Seconds_Behind_Master),
    ...(error ? { error } : {}),
  };
}

/** A MariaDB server we administer as root: CHANGE MASTER ... MASTER_USE_GTID=slave_pos. */
export const mariadbReplication: ReplicationControl = {
  kind: "mariadb",
  async start(target, s) {
    await target.query("STOP SLAVE");
    await target.query("SET GLOBAL gtid_slave_pos = ?", [s.gtid]);
    await target.query(
      "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1",
      [s.host, s.port, s.user, s.password],
    );
    await target.query("START SLAVE");
  },
  async stop(target) {
    await target.query("STOP SLAVE");
  },
  async reset(target) {
    await target.query("STOP SLAVE");
    await target.query("RESET SLAVE ALL");
  },
  status: slaveStatus,
  async setTargetReadOnly(target, readOnly) {
    await target.query(`SET GLOBAL read_only = ${readOnly ? "ON" : "OFF"}`);
  },
};

/** RDS for MariaDB: the mysql.rds_* procedures its master user may call. */
export const rdsReplication: ReplicationControl = {
  kind: "rds",
  async start(target, s) {
    // ssl_encryption 0: the box's MariaDB serves no certificate; the two talk inside the VPC.
    await target.query("CALL mysql.rds_set_external_master_gtid(?, ?, ?, ?, ?, 0)", [s.host, s.port, s.user, s.password, s.gtid]);
    await target.query("CALL mysql.rds_start_replication");
  },
  async stop(target) {
    await target.query("CALL mysql.rds_stop_replication");
  },
  async reset(target) {
    await target.query("CALL mysql.rds_stop_replication").catch(() => undefined);
    await target.query("CALL mysql.rds_reset_external_master");
  },
  status: slaveStatus,
  async setTargetReadOnly() {},
};
