/**
 * Classify driver errors: "the database is unavailable for now" (503 + Retry-After), "the database refuses writes
 * for now" (read-only, a write freeze: 503 + Retry-After) and "duplicate key".
 */
import { isConnectionError } from "./connection-errors.ts";

/** Not a lost server, but a write that may well succeed if retried: answered like one. */
const TRANSIENT_CODES = new Set([
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

/**
 * The server is read-only: 1290 (ER_OPTION_PREVENTS_STATEMENT, `read_only=ON` for a user without READ_ONLY ADMIN)
 * and 1836 (ER_READ_ONLY_MODE). A data move freezes writes this way, and a demoted primary answers the same.
 */
const READ_ONLY_CODES = new Set(["ER_OPTION_PREVENTS_STATEMENT", "ER_READ_ONLY_MODE"]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isReadOnly(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && READ_ONLY_CODES.has(code);
}

export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  return (code !== undefined && TRANSIENT_CODES.has(code)) || isReadOnly(err) || isConnectionError(err);
}

export function isDuplicateKey(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
