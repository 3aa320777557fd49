/** Sessions in this process, for the embedded default (one server): same contract as the Redis store. */
import type { Session, SessionStore } from "../ports.ts";
import { hashToken, newToken } from "./session-token.ts";
import { withWrite } from "./session-writes.ts";

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
      sessions.set(tokenHash, { tokenHash, userId, username, expiresAt, lastWriteGtid: null, recentWrites: {} });
      return { token, expiresAt };
    },
    async get(token) {
      const s = sessions.get(hashToken(token));
      return s && s.expiresAt > Date.now() ? { ...s } : null;
    },
    async delete(token) {
      sessions.delete(hashToken(token));
    },
    async recordWrite(tokenHash, write) {
      const s = sessions.get(tokenHash);
      if (s) sessions.set(tokenHash, withWrite(s, write));
    },
    async ping() {},
  };
}
