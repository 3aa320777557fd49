/**
 * The local stages' MariaDB servers as the stack's databases: the accounts a writable one gets (replication, and the
 * admin account the migration step uses, as RDS's master user), a replica following the writable one by GTID.
 * Everything is root over TCP with no password: the servers bind to the loopback only.
 */
import type { Connection } from "mysql2/promise";

export const adminUrl = (port: number) => `mysql://root@127.0.0.1:${port}/`;

async function rootConnection(port: number, connectTimeout?: number): Promise<Connection> {
  const mysql = await import("mysql2/promise");
  return mysql.createConnection({ host: "127.0.0.1", port, user: "root", ...(connectTimeout ? { connectTimeout } : {}) });
}

/** True once the server on `port` takes a connection (a readiness probe: errors mean not yet). */
export async function mysqlAnswers(port: number): Promise<boolean> {
  const conn = await rootConnection(port, 1000);
  await conn.end();
  return true;
}

export interface WritableAccounts {
  replPassword: string;
  /** The migration step's admin account; none when the stage's migration uses root. */
  admin?: { user: string; password: string };
}

/**
 * A writable database's accounts. Made outside the binary log, so a new server's GTID history holds only the data
 * (and a database catching up as a replica does not diverge from its source).
 */
export async function initWritable(port: number, accounts: WritableAccounts): Promise<void> {
  const conn = await rootConnection(port);
  try {
    await conn.query("SET SESSION sql_log_bin = 0");
    await conn.query("CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY ?", [accounts.replPassword]);
    await conn.query("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'127.0.0.1'");
    const { admin } = accounts;
    if (admin && admin.user !== "root") {
      await conn.query("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [admin.user, admin.password]);
      await conn.query("ALTER USER ?@'%' IDENTIFIED BY ?", [admin.user, admin.password]);
      await conn.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [admin.user]);
    }
  } finally {
    await conn.end();
  }
}

/** Makes the server on `port` a GTID replica of `sourcePort` (once), then waits until it has caught up. */
export async function initReplica(port: number, source: { port: number; name: string }, replPassword: string, name: string, logFile: string): Promise<void> {
  const conn = await rootConnection(port);
  try {
    const [rows] = await conn.query("SHOW SLAVE STATUS");
    if ((rows as unknown[]).length === 0) {
      await conn.query(
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=?, MASTER_USER='repl', MASTER_PASSWORD=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
        [source.port, replPassword],
      );
      await conn.query("START SLAVE");
    }
  } finally {
    await conn.end();
  }
  const src = await rootConnection(source.port);
  const rep = await rootConnection(port);
  try {
    const [[pos]] = (await src.query("SELECT @@gtid_binlog_pos AS p")) as unknown as [{ p: string }[]];
    if (!pos?.p) return;
    const [[res]] = (await rep.query("SELECT MASTER_GTID_WAIT(?, 60) AS r", [pos.p])) as unknown as [{ r: number }[]];
    if (Number(res?.r) !== 0) throw new Error(`${name} did not catch up with ${source.name} (${pos.p}) within 60 s: see ${logFile}`);
  } finally {
    await src.end();
    await rep.end();
  }
}
