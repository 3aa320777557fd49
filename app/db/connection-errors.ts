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
  // Refused by this server for now (a rotated password not yet everywhere): another server, or a retry, may answer.
  "ER_ACCESS_DENIED_ERROR",
  // TLS could not be set up; the TLS description below says why.
  "HANDSHAKE_NO_SSL_SUPPORT",
]);

export function isConnectionError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; fatal?: unknown; message?: unknown };
  if (e.fatal === true) return true;
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  // mysql2 reports a pooled connection the server has closed, or a pool shut down, by message alone.
  return typeof e.message === "string" && /connection is in closed state|Pool is closed|Connection lost|connect ETIMEDOUT/i.test(e.message);
}

/** Node's codes for a server certificate that failed the check, in plain words. */
const CERTIFICATE_PROBLEMS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "is not signed by a trusted CA",
  UNABLE_TO_GET_ISSUER_CERT: "is signed by a CA that is not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "is signed by a CA that is not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "chains to a CA that is not trusted",
  DEPTH_ZERO_SELF_SIGNED_CERT: "is self-signed and not trusted",
  CERT_HAS_EXPIRED: "has expired",
  CERT_NOT_YET_VALID: "is not valid yet",
  ERR_TLS_CERT_ALTNAME_INVALID: "does not name the host in the URL",
};

/**
 * A TLS failure in words an operator can act on, naming the setting that holds the CAs; undefined for any other
 * error. Certificate failures are not retried into a hang: the caller gets this at once.
 */
export function describeTlsFailure(err: unknown, caSetting: string): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (typeof code !== "string") return undefined;
  const check = `check ${caSetting} and the host name in the URL`;
  const problem = CERTIFICATE_PROBLEMS[code];
  if (problem) return `TLS: the server's certificate ${problem} (${code}); ${check}`;
  // mysql2 replaces the TLS error's code with its own and keeps Node's message (e.g. "self-signed certificate in
  // certificate chain").
  if (code === "HANDSHAKE_SSL_ERROR") return `TLS: the server's certificate failed the check (${String(e?.message)}); ${check}`;
  if (code === "HANDSHAKE_NO_SSL_SUPPORT") return "TLS: the server does not offer TLS; turn it on there, or turn TLS off here";
  return undefined;
}

/** A short, credential-free description of an error for logs and health reasons. */
export function describeError(err: unknown): string {
  if (typeof err !== "object" || err === null) return String(err);
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message.split("\n")[0] : "";
  return typeof e.code === "string" ? `${e.code}${message ? ` (${message})` : ""}` : message || "unknown error";
}
