/**
 * Moving the database when a local move changes it (0→1: the box's MariaDB to the "RDS" one; 1→0 back). The mover
 * is one function: the shared data move of `moves/` (a GTID replica catching up while the service serves, then a
 * freeze of seconds), or this module's fallback: a copy under a freeze (the source read-only,
 * so the service answers writes 503 with Retry-After), verified table by table with runbooks/lib/mysql-copy.ts.
 */
import type { Connection } from "mysql2/promise";
import type { MoveJournal } from "../moves/journal.ts";
import { copyTable, createTableLike, listTables, tableFacts } from "../runbooks/lib/mysql-copy.ts";

export interface MoveStep {
  name: string;
  status: "ok" | "failed" | "skipped";
  seconds: number;
}

export interface MoveDataOptions {
  /** Admin URLs (mysql://root@127.0.0.1:port/) of the database in service and of the new one. */
  source: string;
  target: string;
  database: string;
  /** Points the servers at the target (the runtime change and a one-at-a-time restart behind the front door). */
  switchServers: () => Promise<void>;
  /** Checks the endpoint reads and writes. */
  checkServing: () => Promise<void>;
  onStep?: (step: MoveStep) => void;
  signal?: AbortSignal;
  /** Where the move keeps what a resume or a clean-up needs (the shared data move; the fallback keeps nothing). */
  journal?: MoveJournal;
  /** Continue the interrupted move the journal holds. */
  resume?: boolean;
}

export interface MoveDataResult {
  steps: MoveStep[];
  writeUnavailableSeconds: number;
}

export type DataMover = (options: MoveDataOptions) => Promise<MoveDataResult>;

/**
 * The shared data move (moves/data-move.ts: seed, GTID replica catching up while the service serves, a freeze of
 * seconds, verify, promote, switch, check), its steps in the contract's form. `fallback: true` takes the copy under a
 * freeze instead.
 */
export async function loadDataMover(opts: { fallback?: boolean } = {}): Promise<{ name: string; move: DataMover }> {
  if (opts.fallback) return { name: "copy under a freeze", move: copyUnderFreeze };
  const { moveData } = await import("../moves/data-move.ts");
  const move: DataMover = async (o) => {
    const steps: MoveStep[] = [];
    const result = await moveData({
      source: o.source, target: o.target, database: o.database, switchServers: o.switchServers, checkServing: o.checkServing,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.journal ? { journal: o.journal, resume: o.resume ?? false } : {}),
      onStep: (s) => {
        if (s.status === "running") return;
        const step: MoveStep = { name: s.name, status: s.status === "done" ? "ok" : "failed", seconds: s.seconds };
        steps.push(step);
        o.onStep?.(step);
      },
    });
    return { steps, writeUnavailableSeconds: result.writeUnavailableSeconds };
  };
  return { name: "moves/data-move.ts", move };
}

const COPY_BATCH = 1000;

/**
 * The fallback: freeze writes on the source (read_only: the application user is refused, the service answers 503
 * with Retry-After), copy and verify every table, switch the servers, check the service, and leave the old database
 * read-only (retired). A failure before the switch is done unfreezes the source (still in service) and rethrows.
 */
export async function copyUnderFreeze(o: MoveDataOptions): Promise<MoveDataResult> {
  const mysql = await import("mysql2/promise");
  const steps: MoveStep[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    o.signal?.throwIfAborted();
    const started = performance.now();
    try {
      const value = await fn();
      const done: MoveStep = { name, status: "ok", seconds: seconds(started) };
      steps.push(done);
      o.onStep?.(done);
      return value;
    } catch (err) {
      const failed: MoveStep = { name, status: "failed", seconds: seconds(started) };
      steps.push(failed);
      o.onStep?.(failed);
      throw err;
    }
  };
  const source = await mysql.createConnection({ uri: withDatabase(o.source, o.database) });
  const target = await mysql.createConnection({ uri: o.target });
  let frozenAt: number | undefined;
  let switched = false;
  try {
    frozenAt = await step("freeze writes on the source", async () => {
      await source.query("SET GLOBAL read_only = ON");
      return performance.now();
    });
    await step("copy", async () => {
      await target.query(`CREATE DATABASE IF NOT EXISTS \`${o.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await target.query(`USE \`${o.database}\``);
      for (const table of await listTables(source)) {
        await createTableLike(source, target, table);
        await copyTable(source, target, table, COPY_BATCH);
      }
    });
    await step("verify counts and checksums", () => verify(source, target));
    await step("switch servers", o.switchServers);
    switched = true;
    await step("check serving", o.checkServing);
    return { steps, writeUnavailableSeconds: seconds(frozenAt) };
  } catch (err) {
    if (frozenAt !== undefined && !switched) await source.query("SET GLOBAL read_only = OFF").catch(() => undefined);
    throw err;
  } finally {
    await source.end().catch(() => undefined);
    await target.end().catch(() => undefined);
  }
}

async function verify(source: Connection, target: Connection): Promise<void> {
  const differ: string[] = [];
  for (const table of await listTables(source)) {
    const [a, b] = await Promise.all([tableFacts(source, table), tableFacts(target, table)]);
    if (a.rows !== b.rows || a.checksum !== b.checksum) differ.push(`${table} (${a.rows} rows/${a.checksum} vs ${b.rows} rows/${b.checksum})`);
  }
  if (differ.length > 0) throw new Error(`the copy differs from the source: ${differ.join(", ")}`);
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const seconds = (since: number) => Math.round((performance.now() - since) / 10) / 100;
