/**
 * The data move between two MariaDB servers with a write freeze of seconds, whatever the data's size:
 * seed the target from a consistent snapshot, make it a GTID replica of the source and let it catch up while the
 * service keeps serving; then freeze writes on the source (read_only: the service answers writes 503 +
 * Retry-After), wait for the target to apply the source's last GTID, verify counts and checksums per table,
 * promote the target, switch the servers to it and check they serve. Each step is journaled; a failure or an abort
 * before the switch puts the service back on the source (unfrozen) and can be resumed or cleaned up.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Connection, RowDataPacket } from "mysql2/promise";
import { listTables, tableFacts } from "../runbooks/lib/mysql-copy.ts";
import { memoryMoveState, type MoveJournal, type MoveState } from "./journal.ts";
import { mariadbReplication, type ReplicationControl } from "./replication.ts";
import { checkTargetEmpty, clearSeed, copyAccounts, MoveAborted, seed, targetBefore, throwIfAborted } from "./seed.ts";

export const DATA_MOVE_STEPS = [
  "preflight",
  "seed",
  "replicate",
  "catch-up",
  "freeze",
  "apply",
  "verify",
  "promote",
  "switch",
  "check-serving",
  "cleanup",
] as const;
export type DataMoveStepName = (typeof DATA_MOVE_STEPS)[number];

export interface DataMoveStep {
  name: DataMoveStepName;
  status: "running" | "done" | "failed";
  seconds: number;
  detail?: unknown;
}

export interface DataMoveOptions {
  /** Admin (root) mysql:// URLs of the two servers; a database in the path is ignored: `database` names it. */
  source: string;
  target: string;
  database: string;
  /** Point every server that uses the source at the target (runtime change + reload, or SSM on AWS). */
  switchServers(): Promise<void>;
  /**
   * Get the switch ready while the service still writes to the source (start the servers that will use the
   * target, say), so the freeze only waits for the switch itself. Runs during catch-up.
   */
  prepareSwitch?(): Promise<void>;
  /** Prove the service reads and writes through the target; throws if not. */
  checkServing(): Promise<void>;
  onStep?(step: DataMoveStep): void;
  signal?: AbortSignal;
  /** Where steps are recorded and resume state is kept; without one, the move keeps its state in memory. */
  journal?: MoveJournal;
  /** Continue the interrupted move the journal holds (a fresh move refuses to start over one). */
  resume?: boolean;
  /** @default mariadbReplication (CHANGE MASTER); rdsReplication for RDS for MariaDB. */
  replication?: ReplicationControl;
  /** The source as the target reaches it. @default the source URL's host and port */
  sourceAddress?: { host: string; port: number };
  log?(line: string): void;
  /** Rows per INSERT in the seed. @default 1000 */
  batch?: number;
  /** @default 3600 */
  catchUpTimeoutSeconds?: number;
  /** How long in-flight write transactions may finish after the freeze before they are killed. @default 5 */
  drainSeconds?: number;
  /** @default 120 */
  applyTimeoutSeconds?: number;
}

export interface DataMoveResult {
  id: string;
  steps: DataMoveStep[];
  writeUnavailableSeconds: number;
  resumed: boolean;
}

/** A move that stopped: the step, what the service runs on now, and the commands that continue or clean up. */
export class DataMoveError extends Error {
  override name = "DataMoveError";
  constructor(
    message: string,
    readonly step: string,
    readonly serving: "source" | "target",
    readonly steps: DataMoveStep[],
    readonly aborted: boolean,
  ) {
    super(message);
  }
}

/** A fresh move refused: an interrupted one is in the journal. */
export class MoveInProgress extends Error {
  override name = "MoveInProgress";
}

const REPL_USER = "scale_move";

async function connect(url: string): Promise<Connection> {
  const { createConnection } = await import("mysql2/promise");
  const u = new URL(url);
  u.pathname = "/";
  // Exact values both ways: dates as the strings MariaDB holds, big numbers as strings, UTC sessions.
  const conn = await createConnection({
    uri: u.toString(),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
  });
  await conn.query("SET SESSION time_zone = '+00:00'");
  return conn;
}

async function scalar(conn: Connection, sql: string, values: unknown[] = []): Promise<unknown> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, values);
  return rows[0] ? Object.values(rows[0])[0] : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function moveData(o: DataMoveOptions): Promise<DataMoveResult> {
  const store = o.journal?.state ?? memoryMoveState();
  const audit = o.journal?.audit;
  const replication = o.replication ?? mariadbReplication;
  const log = o.log ?? (() => {});
  const hint = () =>
    [o.journal?.resumeCommand && `resume with \`${o.journal.resumeCommand}\``, o.journal?.abortCommand && `clean up with \`${o.journal.abortCommand}\``]
      .filter(Boolean)
      .join(", or ");

  let state = store.load();
  const unfinished = state && state.phase !== "done" && state.phase !== "aborted";
  if (unfinished && !o.resume)
    throw new MoveInProgress(
      `a data move of ${state!.database} stopped at step ${state!.interrupted?.step ?? state!.done.at(-1) ?? "preflight"}: ${hint() || "resume or abort it first"}`,
    );
  if (!unfinished && o.resume) throw new MoveInProgress("there is no interrupted data move to resume");
  const resumed = Boolean(unfinished);
  if (!state || !unfinished) state = { id: randomUUID(), database: o.database, startedAt: new Date().toISOString(), phase: "copying", done: [] };
  if (state.database !== o.database) throw new MoveInProgress(`the interrupted move is of database ${state.database}, not ${o.database}`);
  const st: MoveState = state;
  delete st.interrupted;
  // Before the switch a resume starts again after the seed: the failure put the source back in charge.
  if (st.phase === "copying") st.done = st.done.filter((s) => s === "preflight" || s === "seed");
  store.save(st);
  audit?.record({ kind: resumed ? "move.data.resume" : "move.data.start", moveId: st.id, database: o.database, replication: replication.kind });

  const steps: DataMoveStep[] = [];
  const source = await connect(o.source);
  const target = await connect(o.target).catch(async (err) => {
    await source.end();
    throw err;
  });
  let current: DataMoveStepName = "preflight";
  let frozen = false;
  const sourceUrl = new URL(o.source);
  const sourceAddress = o.sourceAddress ?? { host: sourceUrl.hostname, port: Number(sourceUrl.port || 3306) };

  async function step(name: DataMoveStepName, work: () => Promise<unknown>): Promise<void> {
    current = name;
    if (st.done.includes(name)) return;
    o.onStep?.({ name, status: "running", seconds: 0 });
    // Once the switch begins it is finished whatever happens: servers half switched are worse than a late stop.
    if (st.phase === "copying") throwIfAborted(o.signal);
    audit?.record({ kind: "move.data.step", moveId: st.id, step: name, status: "started" });
    const started = performance.now();
    const detail = await work();
    const seconds = round((performance.now() - started) / 1000);
    const done: DataMoveStep = { name, status: "done", seconds, ...(detail === undefined ? {} : { detail }) };
    steps.push(done);
    st.done.push(name);
    store.save(st);
    audit?.record({ kind: "move.data.step", moveId: st.id, step: name, status: "done", seconds });
    o.onStep?.(done);
  }

  async function startReplication(): Promise<void> {
    const password = randomBytes(18).toString("base64url");
    // Kept out of the source's binlog: the account is the move's own, not data to replicate.
    await source.query("SET SESSION sql_log_bin = 0");
    await source.query("CREATE OR REPLACE USER ?@'%' IDENTIFIED BY ?", [REPL_USER, password]);
    await source.query("GRANT REPLICATION SLAVE ON *.* TO ?@'%'", [REPL_USER]);
    await source.query("SET SESSION sql_log_bin = 1");
    const gtid = st.replicationStarted ? String(await scalar(target, "SELECT @@gtid_slave_pos")) : st.snapshotGtid!;
    await replication.setTargetReadOnly(target, true);
    await replication.start(target, { ...sourceAddress, user: REPL_USER, password, gtid });
    st.replicationStarted = true;
    store.save(st);
  }

  /** Wait until the target has applied `position`, failing on a stopped replication thread, the deadline or abort. */
  async function waitApplied(position: string, timeoutSeconds: number, abortable: boolean): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      if (abortable) throwIfAborted(o.signal);
      const r = Number(await scalar(target, "SELECT MASTER_GTID_WAIT(?, 1)", [position]));
      if (r === 0) return;
      const s = await replication.status(target);
      if (!s.sqlRunning || !s.ioRunning)
        throw new Error(`the target's replication stopped: ${s.error || "IO or SQL thread not running"}`);
      if (Date.now() > deadline) throw new Error(`the target did not reach the source's position ${position} within ${timeoutSeconds} s (${s.secondsBehind ?? "?"} s behind)`);
    }
  }

  try {
    await step("preflight", async () => {
      const [logBin, sourceId, targetId, readOnly] = await Promise.all([
        scalar(source, "SELECT @@log_bin"),
        scalar(source, "SELECT @@server_id"),
        scalar(target, "SELECT @@server_id"),
        scalar(source, "SELECT @@read_only"),
      ]);
      if (Number(logBin) !== 1) throw new Error("the source writes no binary log, so the target cannot replicate from it: start its MariaDB with log_bin on");
      if (String(sourceId) === String(targetId)) throw new Error(`source and target share server_id ${String(sourceId)}: replication needs distinct ids`);
      if (Number(readOnly) === 1) throw new Error("the source is read-only already: a move freezes and unfreezes it, so it must start writable");
      const status = await replication.status(target);
      if (status.configured) throw new Error("the target is already a replica of some server: reset it (or abort the move that configured it) first");
      await checkTargetEmpty(source, target, o.database);
      st.targetBefore = await targetBefore(target, o.database);
      return { replication: replication.kind };
    });

    await step("seed", async () => {
      await clearSeed(source, target, o.database, st.targetBefore!); // a seed interrupted half-way starts clean
      const r = await seed(source, target, o.database, { batch: o.batch ?? 1000, signal: o.signal, log });
      st.snapshotGtid = r.gtid;
      const accounts = await copyAccounts(source, target, o.database);
      return { gtid: r.gtid, rows: r.tables, accounts };
    });

    await step("replicate", startReplication);

    await step("catch-up", async () => {
      const timeout = o.catchUpTimeoutSeconds ?? 3600;
      await waitApplied(String(await scalar(source, "SELECT @@gtid_binlog_pos")), timeout, true);
      if (o.prepareSwitch) {
        await o.prepareSwitch();
        await waitApplied(String(await scalar(source, "SELECT @@gtid_binlog_pos")), timeout, true);
      }
      return { secondsBehind: (await replication.status(target)).secondsBehind };
    });

    await step("freeze", async () => {
      st.frozenAt = Date.now();
      frozen = true;
      await source.query("SET GLOBAL read_only = ON");
      store.save(st);
      // A transaction that wrote before the freeze either commits (and is in the binlog before we read its position)
      // or fails; wait for each to end, and end those that outstay the drain time.
      const deadline = Date.now() + (o.drainSeconds ?? 5) * 1000;
      let killed = 0;
      for (;;) {
        const [open] = await source.query<RowDataPacket[]>(
          "SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_rows_modified > 0 AND trx_mysql_thread_id <> CONNECTION_ID()",
        );
        if (open.length === 0) break;
        if (Date.now() > deadline) {
          for (const { id } of open) await source.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
          killed += open.length;
        }
        await sleep(20);
      }
      return { killed };
    });

    await step("apply", async () => {
      const position = String(await scalar(source, "SELECT @@gtid_binlog_pos"));
      await waitApplied(position, o.applyTimeoutSeconds ?? 120, true);
      return { position };
    });

    await step("verify", async () => {
      await Promise.all([source.query(`USE \`${o.database}\``), target.query(`USE \`${o.database}\``)]);
      const mismatched: string[] = [];
      const tables: Record<string, number> = {};
      for (const t of await listTables(source)) {
        const [s, d] = await Promise.all([tableFacts(source, t), tableFacts(target, t)]);
        tables[t] = s.rows;
        if (s.rows !== d.rows || s.checksum !== d.checksum) mismatched.push(`${t} (${s.rows} vs ${d.rows} rows, checksum ${s.checksum} vs ${d.checksum})`);
      }
      if (mismatched.length) throw new Error(`the target differs from the frozen source: ${mismatched.join(", ")}`);
      return { tables };
    });

    await step("promote", async () => {
      await replication.stop(target);
      st.targetBinlogAtPromote = String(await scalar(target, "SELECT @@gtid_binlog_pos"));
      st.phase = "switching";
      store.save(st);
      await replication.setTargetReadOnly(target, false);
    });

    await step("switch", () => o.switchServers());
    st.phase = "switched";
    store.save(st);

    await step("check-serving", () => o.checkServing());
    st.writeUnavailableSeconds = round((Date.now() - (st.frozenAt ?? Date.now())) / 1000);
    store.save(st);

    await step("cleanup", async () => {
      await replication.reset(target);
      await source.query("SET SESSION sql_log_bin = 0");
      await source.query("DROP USER IF EXISTS ?@'%'", [REPL_USER]);
      await source.query("SET SESSION sql_log_bin = 1");
      // The source stays read-only: a server the switch missed gets 503s instead of writing where nobody reads.
    });

    st.phase = "done";
    store.save(st);
    const writeUnavailableSeconds = st.writeUnavailableSeconds ?? 0;
    audit?.record({ kind: "move.data.end", moveId: st.id, result: "succeeded", writeUnavailableSeconds });
    return { id: st.id, steps, writeUnavailableSeconds, resumed };
  } catch (err) {
    const aborted = err instanceof MoveAborted;
    const reason = (err as Error).message;
    steps.push({ name: current, status: "failed", seconds: 0, detail: reason });
    o.onStep?.({ name: current, status: "failed", seconds: 0, detail: reason });
    const serving = await fallBack(frozen).catch((e: Error) => {
      log(`could not put the service back on the source: ${e.message}`);
      return st.phase === "copying" ? ("source" as const) : ("target" as const);
    });
    st.interrupted = { step: current, reason, at: new Date().toISOString() };
    store.save(st);
    const next = hint();
    audit?.record({ kind: "move.data.interrupted", moveId: st.id, step: current, reason, serving, ...(next ? { next } : {}) });
    const where = serving === "source" ? "the service runs on the source, writable" : "the service runs on the target";
    throw new DataMoveError(`data move ${aborted ? "interrupted" : "failed"} at ${current}: ${reason}; ${where}${next ? `; ${next}` : ""}`, current, serving, steps, aborted);
  } finally {
    await Promise.all([source.end().catch(() => undefined), target.end().catch(() => undefined)]);
  }

  /**
   * Put the service back where it can write. Before the switch: unfreeze the source, stop the replica (its position
   * kept for a resume). During the switch: the same, if no write has reached the target yet; otherwise the
   * target keeps the writes and the switch must be finished.
   */
  async function fallBack(wasFrozen: boolean): Promise<"source" | "target"> {
    if (st.phase === "switching") {
      await replication.setTargetReadOnly(target, true);
      const now = String(await scalar(target, "SELECT @@gtid_binlog_pos"));
      if (now !== st.targetBinlogAtPromote) {
        await replication.setTargetReadOnly(target, false);
        return "target";
      }
      st.phase = "copying";
      st.done = st.done.filter((s) => s === "preflight" || s === "seed");
      wasFrozen = true;
    }
    if (st.phase !== "copying") return "target";
    if (wasFrozen || st.done.includes("seed")) await source.query("SET GLOBAL read_only = OFF");
    if (st.replicationStarted) await replication.stop(target).catch(() => undefined);
    delete st.frozenAt;
    return "source";
  }
}

/**
 * Clean up an interrupted move that has not switched: the source writable, the target's replication forgotten,
 * what the seed made on the target removed, the move's replication account dropped.
 */
export async function abortDataMove(o: { source: string; target: string; journal: MoveJournal; replication?: ReplicationControl }): Promise<{ id: string; removed: string }> {
  const st = o.journal.state.load();
  if (!st || st.phase === "done" || st.phase === "aborted") throw new MoveInProgress("there is no interrupted data move to abort");
  if (st.phase !== "copying")
    throw new MoveInProgress(
      `the data move of ${st.database} has switched the servers to the target already (writes may have landed there): finish it with resume; to go back, move down`,
    );
  const replication = o.replication ?? mariadbReplication;
  const source = await connect(o.source);
  const target = await connect(o.target);
  try {
    await source.query("SET GLOBAL read_only = OFF");
    const status = await replication.status(target);
    if (status.configured) await replication.reset(target);
    if (st.targetBefore) await clearSeed(source, target, st.database, st.targetBefore);
    await replication.setTargetReadOnly(target, false);
    await source.query("SET SESSION sql_log_bin = 0");
    await source.query("DROP USER IF EXISTS ?@'%'", [REPL_USER]);
    st.phase = "aborted";
    o.journal.state.save(st);
    o.journal.audit?.record({ kind: "move.data.aborted", moveId: st.id, database: st.database });
    return { id: st.id, removed: st.targetBefore?.databaseExisted ? `the seeded tables of ${st.database}` : `database ${st.database}` };
  } finally {
    await Promise.all([source.end().catch(() => undefined), target.end().catch(() => undefined)]);
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
