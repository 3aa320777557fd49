/**
 * A secret parameter as the audit log and the screen show it: a URL keeps its scheme, user, host,
 * port and database (where a run went is what an operator needs to know) and loses its password
 * and secret query values; any other secret is "[secret]".
 */
import type { Params, Runbook } from "./types.ts";

const SECRET_QUERY = /^(pass(word)?|secret|token|auth|key|sig(nature)?|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

export function maskSecret(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return "[secret]";
  }
  if (!u.host) return "[secret]";
  if (u.password) u.password = "redacted";
  for (const k of [...u.searchParams.keys()]) if (SECRET_QUERY.test(k)) u.searchParams.set(k, "redacted");
  return u.toString().replace(/:redacted@/, ":[redacted]@").replace(/=redacted\b/g, "=[redacted]");
}

/** The parameters with every secret masked. */
export function maskParams(runbook: Runbook, params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k] = runbook.params.find((p) => p.name === k)?.secret ? maskSecret(v) : v;
  return out;
}

/** Replace every secret value inside a text (an error, a recorded call) by its masked form. */
export function scrubber(runbook: Runbook, params: Params): (text: string) => string {
  const secrets = runbook.params.filter((p) => p.secret && params[p.name]).map((p) => params[p.name] as string);
  // Longest first, so a secret that contains another is replaced whole.
  secrets.sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((acc, v) => acc.split(v).join(maskSecret(v)), text);
}
