/**
 * The read/write router: writes go to the primary and report the GTID they committed; reads go to a
 * replica in rotation (round robin), or to the primary when none is, and a read for a session that
 * wrote first makes sure the chosen replica has applied that write (read-your-writes). A health
 * check per replica, every `checkIntervalMs`, moves replicas in and out of rotation.
 */
import { Kysely, MysqlDialect, sql, type MysqlPool, type Transaction } from "kysely";
import type { Registry } from "prom-client";
import { describeError } from "./connection-errors.ts";
import { gtidCovers, mergeGtidPositions, validGtidPosition } from "./gtid.ts";
import { ensureHeartbeatTable, lagSeconds, probeReplica, stampPrimary, type PrimaryStamp } from "./heartbeat.ts";
import { createMysqlPool, databaseLabel, type MysqlPoolOptions } from "./mysql.ts";
import { FailoverMysqlDialect } from "./replica-failover.ts";
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
  /** Pool settings for each replica (with the primary's TLS and password file). */
  pool?: MysqlPoolOptions;
}

export interface ReadOptions {
  /** The GTID position of the session's newest write; the read sees at least that. */
  gtid?: string | null | undefined;
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
  /** What reads get: fails over to the primary if the replica is unreachable mid-query. */
  db: Kysely<DB>;
  /** For health checks and GTID waits, which must see the replica's own failures. */
  probe: Kysely<DB>;
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
  private stampFailing = false;
  private firstCheck: Promise<void> = Promise.resolve();

  private constructor(options: ReplicaRouterOptions<DB>) {
    this.primary = options.primary;
    this.maxLagSeconds = options.maxLagSeconds ?? 5;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.gtidWaitMs = options.gtidWaitMs ?? 50;
    this.rise = options.rise ?? 2;
    this.logger = options.logger;
    this.metrics = new ReplicaMetrics(options.registry);
    const seen = new Map<string, number>();
    this.replicas = options.replicaUrls.map((url) => {
      const label = databaseLabel(url);
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      const replica = this.openReplica(n === 1 ? label : `${label}#${n}`, createMysqlPool(url, options.pool));
      this.metrics.inRotation.set({ replica: replica.name }, 0);
      return replica;
    });
    this.metrics.reads.inc({ target: "primary" }, 0);
  }

  /**
   * Create the router and start checking in the background. Until the first check admits a replica,
   * reads go to the primary, so a synchronous wiring can use it at once.
   */
  static create<DB>(options: ReplicaRouterOptions<DB>): ReplicaRouter<DB> {
    const router = new ReplicaRouter(options);
    if (router.replicas.length > 0) {
      router.firstCheck = (async () => {
        await ensureHeartbeatTable(router.primary).catch((err: unknown) =>
          router.logger?.warn({ err: describeError(err) }, "could not create the replication heartbeat table"),
        );
        await router.checkNow();
        router.schedule();
      })();
    }
    return router;
  }

  /** Create the router and wait for its first round of health checks. */
  static async start<DB>(options: ReplicaRouterOptions<DB>): Promise<ReplicaRouter<DB>> {
    const router = ReplicaRouter.create(options);
    await router.firstCheck;
    return router;
  }

  /**
   * The database for one read: a replica in rotation that has applied the session's last write, or the
   * primary. This is the service's read seam.
   */
  async forRead(options: ReadOptions = {}): Promise<Kysely<DB>> {
    const given = options.gtid?.trim() || undefined;
    const gtid = given === undefined ? undefined : validGtidPosition(given);
    // A malformed session position cannot be waited for: the primary is the one safe answer.
    const primaryOnly = given !== undefined && gtid === undefined;
    for (;;) {
      const choice = primaryOnly ? undefined : this.choose(gtid);
      if (!choice) return this.onPrimary();
      if (choice.mustWait && gtid !== undefined) {
        try {
          if (!(await this.waitFor(choice.replica, gtid))) return this.onPrimary("gtid_wait_timeout");
        } catch (err) {
          // Out of rotation now, so the next choice is another replica or the primary.
          this.takeDown(choice.replica, describeError(err));
          continue;
        }
      }
      this.metrics.reads.inc({ target: choice.replica.name });
      return choice.replica.db;
    }
  }

  /** forRead, then run the query there. */
  async read<T>(query: (db: Kysely<DB>) => Promise<T>, options: ReadOptions = {}): Promise<T> {
    return query(await this.forRead(options));
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
    await this.firstCheck;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.replicas.map((r) => r.probe.destroy()));
  }

  /** A replica for this read, and whether it must first wait for the session's GTID; undefined: the primary. */
  private choose(gtid: string | undefined): { replica: Replica<DB>; mustWait: boolean } | undefined {
    const live = this.replicas.filter((r) => r.state.inRotation);
    const turn = this.nextIndex++;
    // Prefer a replica already known to hold the session's write; otherwise take the next one and wait.
    const current = gtid === undefined ? live : live.filter((r) => gtidCovers(r.applied, gtid));
    const pick = current[turn % current.length] ?? live[turn % live.length];
    if (!pick) return undefined;
    return { replica: pick, mustWait: !current.includes(pick) };
  }

  private onPrimary(reason?: FallbackReason): Kysely<DB> {
    if (this.replicas.length > 0) this.metrics.fallbacks.inc({ reason: reason ?? "no_replica_in_rotation" });
    this.metrics.reads.inc({ target: "primary" });
    return this.primary;
  }

  private openReplica(name: string, pool: MysqlPool): Replica<DB> {
    const replica: Replica<DB> = {
      name,
      probe: new Kysely<DB>({ dialect: new MysqlDialect({ pool }) }),
      db: new Kysely<DB>({
        dialect: new FailoverMysqlDialect({ pool }, (err) => {
          this.takeDown(replica, describeError(err));
          this.metrics.reads.inc({ target: "primary" });
          return this.primary;
        }),
      }),
      state: initialReplicaState,
      applied: "",
    };
    return replica;
  }

  /** MASTER_GTID_WAIT: 0 once the replica has applied `gtid`, -1 after the timeout. */
  private async waitFor(replica: Replica<DB>, gtid: string): Promise<boolean> {
    const { rows } = await sql<{ result: number | string | null }>`
      SELECT MASTER_GTID_WAIT(${gtid}, ${this.gtidWaitMs / 1000}) AS result`.execute(replica.probe);
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
      if (this.stampFailing) this.logger?.info({}, "replica check: the primary's heartbeat is stamped again");
      this.stampFailing = false;
    } catch (err) {
      // Without the primary's stamp lag is unknown; replicas keep their last verdict (see replica-health.ts).
      // Logged once per outage, not at every check.
      if (!this.stampFailing) this.logger?.warn({ err: describeError(err) }, "replica check: cannot stamp the primary's heartbeat; replica lag unknown");
      this.stampFailing = true;
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        let result: CheckResult;
        try {
          const probe = await withTimeout(probeReplica(replica.probe), deadline);
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
