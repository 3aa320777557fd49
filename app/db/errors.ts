/** Classify driver errors: "the database is unavailable for now" (503 + Retry-After) and "duplicate key". */
import { isConnectionError } from "./connection-errors.ts";

/** Not a lost server, but a write that may well succeed if retried: answered like one. */
const TRANSIENT_CODES = new Set([
  "ER_LOCK_WAIT_TIMEOUT",
  "ER_LOCK_DEADLOCK",
  "ER_OPTION_PREVENTS_STATEMENT", // read_only server: the primary moved away
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  return (code !== undefined && TRANSIENT_CODES.has(code)) || isConnectionError(err);
}

export function isDuplicateKey(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
