/** Session tokens: 256 random bits, handed to the client once; stores keep only their sha256. */
import { createHash, randomBytes } from "node:crypto";
import type { Session } from "../ports.ts";

export const newToken = () => randomBytes(32).toString("base64url");
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
/** A well-formed token (43 base64url chars); anything else is refused without a store lookup. */
export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

/** A new session for a user, and the token that names it (returned to the client, never stored). */
export function newSession(user: { userId: string; username: string }, ttlSeconds: number): { token: string; session: Session } {
  const token = newToken();
  const expiresAt = Date.now() + ttlSeconds * 1000;
  return { token, session: { tokenHash: hashToken(token), ...user, expiresAt, lastWriteGtid: null, recentWrites: {} } };
}
