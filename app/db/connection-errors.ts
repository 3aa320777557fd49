/**
 * Whether a database error means "this server is unreachable" (so a read may be retried on another
 * server) rather than "this query is wrong" (which would fail the same way anywhere).
 */
const UNREACHABLE_CODES = new Set([
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
  "ER_CONNECTION_KILLED",
]);

export function isConnectionError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; fatal?: unknown; message?: unknown };
  if (e.fatal === true) return true;
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  // mysql2 reports a pooled connection the server has closed, or a pool shut down, by message alone.
  return typeof e.message === "string" && /connection is in closed state|Pool is closed|Connection lost|connect ETIMEDOUT/i.test(e.message);
}

/** A short, credential-free description of an error for logs and health reasons. */
export function describeError(err: unknown): string {
  if (typeof err !== "object" || err === null) return String(err);
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message.split("\n")[0] : "";
  return typeof e.code === "string" ? `${e.code}${message ? ` (${message})` : ""}` : message || "unknown error";
}
