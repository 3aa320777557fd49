/**
 * A mysql2 pool whose password lives in a file and may change under it (a rotated secret). When the server answers
 * access-denied (1045) to a new connection, the file is read again; if it holds another password, a new pool takes
 * over for every later connection and the request is retried once on it. Connections already open keep working (a
 * password change does not end sessions), so the old pool is left to finish what it lent out and ended a little later.
 */
import { readFileSync } from "node:fs";
import type { MysqlPool, MysqlPoolConnection } from "kysely";
import type { Pool } from "mysql2";

/** How long a replaced pool keeps serving what it already lent out before it is ended. */
const RETIRE_AFTER_MS = 30_000;

export class PasswordFileError extends Error {}

/** The file's contents without one trailing newline (editors and `echo` add one). */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PasswordFileError(`cannot read the password file (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new PasswordFileError("the password file is empty");
  return password;
}

const isAccessDenied = (err: unknown) => (err as { code?: unknown } | null)?.code === "ER_ACCESS_DENIED_ERROR";

export interface PoolStats {
  total: number;
  free: number;
  queued: number;
}

export class RotatingPool implements MysqlPool {
  private current: Pool;
  private password: string | undefined;
  private readonly retired = new Set<Pool>();
  /** Times the password file was read again and a new pool took over; for tests and logs. */
  rotations = 0;

  /** `make` builds a pool with the given password (undefined: the one in the URL, if any). */
  constructor(
    private readonly make: (password: string | undefined) => Pool,
    private readonly passwordFile?: string,
  ) {
    this.password = passwordFile ? readPasswordFile(passwordFile) : undefined;
    this.current = make(this.password);
  }

  getConnection(callback: (error: unknown, connection: MysqlPoolConnection) => void): void {
    const pool = this.current;
    pool.getConnection((err, conn) => {
      // Retry once when another caller already switched pools, or when the file now holds a new password.
      if (err && isAccessDenied(err) && this.passwordFile && (pool !== this.current || this.reload())) {
        this.current.getConnection(callback);
        return;
      }
      callback(err, conn);
    });
  }

  end(callback: (error: unknown) => void): void {
    const pools = [this.current, ...this.retired];
    this.retired.clear();
    Promise.all(pools.map((p) => new Promise<void>((resolve) => p.end(() => resolve())))).then(() => callback(undefined), callback);
  }

  /** Connections of the pool in use now, for /metrics. */
  stats(): PoolStats {
    // mysql2 keeps these counts on internal fields; read them defensively so an upgrade only loses a metric.
    const p = this.current as unknown as { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } };
    return { total: p._allConnections?.length ?? 0, free: p._freeConnections?.length ?? 0, queued: p._connectionQueue?.length ?? 0 };
  }

  private reload(): boolean {
    let next: string;
    try {
      next = readPasswordFile(this.passwordFile!);
    } catch {
      return false;
    }
    if (next === this.password) return false;
    const old = this.current;
    this.password = next;
    this.current = this.make(next);
    this.rotations++;
    this.retired.add(old);
    setTimeout(() => {
      if (this.retired.delete(old)) old.end(() => undefined);
    }, RETIRE_AFTER_MS).unref();
    return true;
  }
}
