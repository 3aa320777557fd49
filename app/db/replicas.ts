/**
 * The read/write router: writes go to the primary and report the GTID they committed; reads go to a
 * replica in rotation (round robin), or to the primary when none is, and a read for a session that
 * wrote first makes sure the chosen replica has applied that write (read-your-writes). A health
 * check per replica, every `checkIntervalMs`, moves replicas in and out of rotation.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import type { Registry } from "prom-client";
import { describeError, isConnectionError } from "./connection-errors.ts";
import { gtidCovers, mergeGtidPositions, validGtidPosition } from "./gtid.ts";
import { createHeartbeatTable, lagSeconds, probeReplica, stampPrimary, type PrimaryStamp } from "./heartbeat.ts";
import { createMysqlKysely, databaseLabel } from "./mysql.ts";
import { initialReplicaState, markReplicaDown, nextReplicaState, type CheckResult, type ReplicaState } from "./replica-health.ts";
import { ReplicaMetrics, type FallbackReason } from "./replica-metrics.ts";

export interface RouterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReplicaRouterOptions<DB> {
  /** The primary; the caller owns it (the router never destroys it). */
  primary: Kysely<DB>;
  /** Replica URLs (DATABASE_REPLICA_URLS); may be empty. The router opens and closes their pools. */
  replicaUrls: readonly string[];
  /** A replica lagging more than this leaves rotation. @default 5 */
  maxLagSeconds?: number;
  /** @default 1000 */
  checkIntervalMs?: number;
  /** How long a read may wait for a replica to apply the session's last write before using the primary. @default 50 */
  gtidWaitMs?: number;
  /** Good checks in a row before a replica that left rotation comes back. @default 2 */
  rise?: number;
  registry: Registry;
  logger?: RouterLogger;
  /** Opens a replica's kysely; tests may inject. @default createMysqlKysely */
  openReplica?: (url: string) => Kysely<DB>;
}

export interface ReadOptions {
  /** The GTID position of the session's newest write; the read sees at least that. */
  gtid?: string | undefined;
}

export interface WriteResult<T> {
  value: T;
  /** The primary's GTID for this write; merge it into the session (mergeGtidPositions). */
  gtid: string | undefined;
}

export interface ReplicaHealthSnapshot {
  name: string;
  inRotation: boolean;
  lagSeconds: number | undefined;
  reason: string | undefined;
}

interface Replica<DB> {
  name: string;
  db: Kysely<DB>;
  state: ReplicaState;
  /** @@gtid_slave_pos as last seen: a read whose GTID this covers needs no wait. */
  applied: string;
}

export class ReplicaRouter<DB> {
  private readonly replicas: Replica<DB>[];
  private readonly metrics: ReplicaMetrics;
  private readonly maxLagSeconds: number;
  private readonly checkIntervalMs: number;
  private readonly gtidWaitMs: number;
  private readonly rise: number;
  private readonly primary: Kysely<DB>;
  private readonly logger: RouterLogger | undefined;
  private nextIndex = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  private constructor(options: ReplicaRouterOptions<DB>) {
    this.primary = options.primary;
    this.maxLagSeconds = options.maxLagSeconds ?? 5;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.gtidWaitMs = options.gtidWaitMs ?? 50;
    this.rise = options.rise ?? 2;
    this.logger = options.logger;
    this.metrics = new ReplicaMetrics(options.registry);
    const open = options.openReplica ?? ((url: string) => createMysqlKysely<DB>(url));
    const seen = new Map<string, number>();
    this.replicas = options.replicaUrls.map((url) => {
      const label = databaseLabel(url);
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      const replica = { name: n === 1 ? label : `${label}#${n}`, db: open(url), state: initialReplicaState, applied: "" };
      this.metrics.inRotation.set({ replica: replica.name }, 0);
      return replica;
    });
    this.metrics.reads.inc({ target: "primary" }, 0);
  }

  /** Create the router, run the first health check, and keep checking in the background. */
  static async start<DB>(options: ReplicaRouterOptions<DB>): Promise<ReplicaRouter<DB>> {
    const router = new ReplicaRouter(options);
    if (router.replicas.length > 0) {
      await createHeartbeatTable(router.primary).catch((err: unknown) =>
        router.logger?.warn({ err: describeError(err) }, "could not create the replication heartbeat table"),
      );
      await router.checkNow();
      router.schedule();
    }
    return router;
  }

  /** Run a read on a replica in rotation (or the primary), retrying elsewhere if a replica is unreachable. */
  async read<T>(query: (db: Kysely<DB>) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    const gtid = options.gtid === undefined ? undefined : validGtidPosition(options.gtid);
    // A malformed session position cannot be waited for: the primary is the one safe answer.
    const primaryOnly = options.gtid !== undefined && gtid === undefined;
    const failed = new Set<Replica<DB>>();
    for (;;) {
      const choice = primaryOnly ? undefined : this.choose(gtid, failed);
      const replica = choice?.replica;
      try {
        const target =
          replica && choice.mustWait && gtid !== undefined && !(await this.waitFor(replica, gtid))
            ? this.fallBack("gtid_wait_timeout")
            : replica;
        this.metrics.reads.inc({ target: target?.name ?? "primary" });
        return await query(target?.db ?? this.primary);
      } catch (err) {
        if (!replica || !isConnectionError(err)) throw err;
        failed.add(replica);
        this.takeDown(replica, describeError(err));
      }
    }
  }

  /** Run `work` in a transaction on the primary and report the GTID it committed. */
  async write<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<WriteResult<T>> {
    return this.primary.connection().execute(async (conn) => {
      const value = await conn.transaction().execute(work);
      // Same connection, right after COMMIT: @@last_gtid is this transaction's GTID.
      const { rows } = await sql<{ gtid: string | null }>`SELECT @@last_gtid AS gtid`.execute(conn);
      return { value, gtid: validGtidPosition(rows[0]?.gtid) };
    });
  }

  health(): ReplicaHealthSnapshot[] {
    return this.replicas.map((r) => ({
      name: r.name,
      inRotation: r.state.inRotation,
      lagSeconds: r.state.lagSeconds,
      reason: r.state.reason,
    }));
  }

  /** One round of health checks now (the background loop calls this too). */
  async checkNow(): Promise<void> {
    if (this.closed) return;
    this.running ??= this.check().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stop checking and close the replicas' pools (not the primary's). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.replicas.map((r) => r.db.destroy()));
  }

  /** A replica for this read, and whether it must first wait for the session's GTID; undefined: the primary. */
  private choose(gtid: string | undefined, failed: Set<Replica<DB>>): { replica: Replica<DB>; mustWait: boolean } | undefined {
    const live = this.replicas.filter((r) => r.state.inRotation && !failed.has(r));
    const turn = this.nextIndex++;
    const current = gtid === undefined ? live : live.filter((r) => gtidCovers(r.applied, gtid));
    const pick = current[turn % current.length] ?? live[turn % live.length];
    if (!pick) return this.fallBack(this.replicas.length > 0 ? "no_replica_in_rotation" : undefined);
    return { replica: pick, mustWait: !current.includes(pick) };
  }

  private fallBack(reason: FallbackReason | undefined): undefined {
    if (reason) this.metrics.fallbacks.inc({ reason });
    return undefined;
  }

  /** MASTER_GTID_WAIT: 0 once the replica has applied `gtid`, -1 after the timeout. */
  private async waitFor(replica: Replica<DB>, gtid: string): Promise<boolean> {
    const { rows } = await sql<{ result: number | string | null }>`
      SELECT MASTER_GTID_WAIT(${gtid}, ${this.gtidWaitMs / 1000}) AS result`.execute(replica.db);
    if (Number(rows[0]?.result) !== 0) return false;
    replica.applied = mergeGtidPositions(replica.applied, gtid);
    return true;
  }

  private takeDown(replica: Replica<DB>, error: string): void {
    this.metrics.fallbacks.inc({ reason: "replica_error" });
    this.setState(replica, markReplicaDown(replica.state, error));
  }

  private async check(): Promise<void> {
    const deadline = Math.max(200, Math.min(this.checkIntervalMs, 2000));
    let stamp: PrimaryStamp | undefined;
    try {
      stamp = await withTimeout(stampPrimary(this.primary), deadline);
    } catch (err) {
      // Without the primary's stamp lag is unknown; replicas keep their last verdict (see replica-health.ts).
      this.logger?.warn({ err: describeError(err) }, "replica check: could not stamp the primary's heartbeat");
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        let result: CheckResult;
        try {
          const probe = await withTimeout(probeReplica(replica.db), deadline);
          replica.applied = probe.appliedGtid;
          result = { reachable: true, lagSeconds: stamp ? lagSeconds(stamp, probe) : undefined };
        } catch (err) {
          result = { reachable: false, error: describeError(err) };
        }
        this.setState(replica, nextReplicaState(replica.state, result, { maxLagSeconds: this.maxLagSeconds, rise: this.rise }));
      }),
    );
  }

  private setState(replica: Replica<DB>, state: ReplicaState): void {
    const before = replica.state;
    replica.state = state;
    this.metrics.lag.set({ replica: replica.name }, state.lagSeconds ?? Number.NaN);
    this.metrics.inRotation.set({ replica: replica.name }, state.inRotation ? 1 : 0);
    if (before.inRotation !== state.inRotation) {
      const entry = { replica: replica.name, lagSeconds: state.lagSeconds, reason: state.reason };
      if (state.inRotation) this.logger?.info(entry, "replica back in rotation");
      else this.logger?.warn(entry, "replica out of rotation");
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.checkNow().finally(() => this.schedule());
    }, this.checkIntervalMs);
    this.timer.unref();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "ETIMEDOUT" })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
