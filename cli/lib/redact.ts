/**
 * Secrets out of logs: values under secret-looking keys become "[redacted]", and passwords inside
 * connection URLs (mysql://user:pw@host) are masked wherever they appear in a string.
 */
const SECRET_KEY = /pass(word)?|secret|token|credential|api[-_]?key|private[-_]?key|auth/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)(@)/gi;

export function redactString(value: string): string {
  return value.replace(URL_PASSWORD, "$1[redacted]$3");
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return "[too deep]";
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
    return out;
  }
  return value;
}
