/**
 * Session middleware. requireSession fails closed: no valid session, 401; the session store unreachable, 503 (never
 * "let them in"). optionalSession (public reads) carries the session for read-your-writes when one is presented.
 */
import type { Context, Next } from "hono";
import { getCookie } from "hono/cookie";
import type { SessionStore } from "../ports.ts";
import type { AppEnv } from "../http/env.ts";
import { requestLog } from "../http/observe.ts";
import { AppError, unavailable } from "../http/problem.ts";
import { looksLikeToken } from "./session-token.ts";

export const SESSION_COOKIE = "sid";

export function presentedToken(c: Context): string | undefined {
  const auth = c.req.header("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? "";
  }
  return getCookie(c, SESSION_COOKIE);
}

export function requireSession(sessions: SessionStore) {
  return async function sessionRequired(c: Context<AppEnv>, next: Next) {
    const token = presentedToken(c);
    if (token === undefined) throw new AppError(401, "unauthenticated", "log in first: send Authorization: Bearer <token> or the sid cookie");
    if (!looksLikeToken(token)) throw new AppError(401, "invalid-session", "the session token is malformed; log in again");
    let session;
    try {
      session = await sessions.get(token);
    } catch (err) {
      requestLog(c).warn({ err: (err as Error).message }, "session store unavailable");
      throw unavailable("session store");
    }
    if (!session) throw new AppError(401, "invalid-session", "the session is unknown or expired; log in again");
    c.set("session", session);
    await next();
  };
}

/** The session a public read presented, or null; a session store that is down reads as none (no read-your-writes). */
export async function readOptionalSession(sessions: SessionStore, c: Context<AppEnv>) {
  const token = presentedToken(c);
  if (!token || !looksLikeToken(token)) return null;
  const session = await sessions.get(token).catch(() => null);
  c.set("session", session);
  return session;
}

export function optionalSession(sessions: SessionStore) {
  return async function sessionOptional(c: Context<AppEnv>, next: Next) {
    // A public read must not fail because the session store is down: read without read-your-writes then.
    await readOptionalSession(sessions, c);
    await next();
  };
}
