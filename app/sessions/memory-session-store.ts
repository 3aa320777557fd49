/** Sessions in this process, for the embedded default (one server): same contract as the Redis store. */
import type { Session, SessionStore } from "../ports.ts";
import { hashToken, newToken } from "./session-token.ts";
import { mergeGtidPositions, validGtidPosition } from "../db/gtid.ts";

export function createMemorySessionStore(opts: { ttlSeconds: number }): SessionStore {
  const sessions = new Map<string, Session>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [k, s] of sessions) if (s.expiresAt <= now) sessions.delete(k);
  }, 60_000);
  sweep.unref();
  return {
    async create({ userId, username }) {
      const token = newToken();
      const expiresAt = Date.now() + opts.ttlSeconds * 1000;
      const tokenHash = hashToken(token);
      sessions.set(tokenHash, { tokenHash, userId, username, expiresAt, lastWriteGtid: null });
      return { token, expiresAt };
    },
    async get(token) {
      const s = sessions.get(hashToken(token));
      return s && s.expiresAt > Date.now() ? { ...s } : null;
    },
    async delete(token) {
      sessions.delete(hashToken(token));
    },
    async recordWrite(tokenHash, gtid) {
      const s = sessions.get(tokenHash);
      if (s) s.lastWriteGtid = mergeGtidPositions(validGtidPosition(s.lastWriteGtid), gtid);
    },
    async ping() {},
  };
}
