/** Classify driver errors: "the database is unreachable" (503 + Retry-After) and "duplicate key". */

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
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
  const e = err as { fatal?: unknown; message?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  const code = codeOf(err);
  if (code && CONNECTION_CODES.has(code)) return true;
  if (e.fatal === true) return true;
  const msg = typeof e.message === "string" ? e.message : "";
  return /Pool is closed|Connection lost|Can't add new command when connection is in closed state|connect ETIMEDOUT/i.test(msg);
}

export function isDuplicateKey(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
