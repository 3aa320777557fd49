/**
 * A throwaway MariaDB primary with real replicas (GTID replication), for tests that need replica lag
 * or a replica that goes away. Built on servers.ts; `stop()` removes every server and its folder.
 */
import { startMariaDb, type MariaDbServer } from "./servers.ts";

export interface ReplicaSetOptions {
  /** How many replicas to start. @default 1 */
  replicas?: number;
  /** A database created on the primary (and so on every replica) before the replicas start. */
  database?: string;
}

// The replicas connect with their own account, as a real replica would; tests never see this password.
const REPL_USER = "repl";
const REPL_PASSWORD = "repl-only-for-tests";

export class ReplicaSet {
  constructor(
    readonly primary: MariaDbServer,
    readonly replicas: MariaDbServer[],
  ) {}

  replica(index: number): MariaDbServer {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`no replica ${index}: this set has ${this.replicas.length}`);
    return replica;
  }

  /** Stop applying the binlog on a replica (it keeps receiving it): its lag grows from here on. */
  async stopSqlThread(index: number): Promise<void> {
    await this.replica(index).sql("STOP SLAVE SQL_THREAD");
  }

  async startSqlThread(index: number): Promise<void> {
    await this.replica(index).sql("START SLAVE SQL_THREAD");
  }

  /** Crash a replica (SIGKILL), data kept. */
  async killReplica(index: number): Promise<void> {
    await this.replica(index).kill();
  }

  /** Start a replica again; replication resumes from its saved GTID position. */
  async startReplica(index: number): Promise<void> {
    await this.replica(index).start();
  }

  /** Wait until a replica has applied everything the primary has written so far. */
  async waitCaughtUp(index: number, timeoutSeconds = 20): Promise<void> {
    const position = (await this.primary.sql("SELECT @@gtid_binlog_pos")).trim();
    if (position === "") return;
    const result = (await this.replica(index).sql(`SELECT MASTER_GTID_WAIT('${position}', ${timeoutSeconds})`)).trim();
    if (result !== "0") {
      const status = await this.replica(index).sql("SHOW SLAVE STATUS\\G");
      throw new Error(`replica ${index} did not reach ${position} within ${timeoutSeconds} s:\n${status}`);
    }
  }

  async waitAllCaughtUp(timeoutSeconds = 20): Promise<void> {
    await Promise.all(this.replicas.map((_, i) => this.waitCaughtUp(i, timeoutSeconds)));
  }

  /** Stop every server and remove its folder. */
  async stop(): Promise<void> {
    await Promise.all([...this.replicas, this.primary].map((s) => s.stop()));
  }
}

/** Start a primary and `replicas` read-only replicas replicating from it by GTID. */
export async function startReplicaSet(options: ReplicaSetOptions = {}): Promise<ReplicaSet> {
  const count = options.replicas ?? 1;
  const primary = await startMariaDb({ serverId: 1, binlog: true });
  const started: MariaDbServer[] = [primary];
  try {
    await primary.sql(
      `CREATE USER '${REPL_USER}'@'127.0.0.1' IDENTIFIED BY '${REPL_PASSWORD}';` +
        ` GRANT REPLICATION SLAVE ON *.* TO '${REPL_USER}'@'127.0.0.1';`,
    );
    if (options.database) await primary.sql(`CREATE DATABASE \`${options.database}\``);

    const replicas = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        // A replica keeps its own binlog off: nothing chains from it, and it keeps the test servers light.
        const replica = await startMariaDb({ serverId: 2 + i, binlog: false, extraArgs: ["--read-only"] });
        started.push(replica);
        await replica.sql(
          `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port},` +
            ` MASTER_USER='${REPL_USER}', MASTER_PASSWORD='${REPL_PASSWORD}',` +
            ` MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;`,
        );
        return replica;
      }),
    );
    const set = new ReplicaSet(primary, replicas);
    await set.waitAllCaughtUp();
    return set;
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}
