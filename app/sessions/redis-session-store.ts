/** Sessions in Redis (app servers stay stateless): key = prefix + sha256(token), value = JSON, expiry = session TTL. */
import type { Redis } from "ioredis";
import type { Session, SessionStore } from "../ports.ts";
import { hashToken, newToken } from "./session-token.ts";
import { withWrite } from "./session-writes.ts";

export function createRedisSessionStore(redis: Redis, opts: { prefix: string; ttlSeconds: number }): SessionStore {
  const keyOf = (tokenHash: string) => `${opts.prefix}sess:${tokenHash}`;
  return {
    async create({ userId, username }) {
      const token = newToken();
      const expiresAt = Date.now() + opts.ttlSeconds * 1000;
      const session: Session = { tokenHash: hashToken(token), userId, username, expiresAt, lastWriteGtid: null, recentWrites: {} };
      await redis.set(keyOf(session.tokenHash), JSON.stringify(session), "PXAT", expiresAt);
      return { token, expiresAt };
    },
    async get(token) {
      const raw = await redis.get(keyOf(hashToken(token)));
      if (!raw) return null;
      const session = JSON.parse(raw) as Session;
      return session.expiresAt > Date.now() ? session : null;
    },
    async delete(token) {
      await redis.del(keyOf(hashToken(token)));
    },
    async recordWrite(tokenHash, write) {
      const key = keyOf(tokenHash);
      const raw = await redis.get(key);
      if (!raw) return;
      // KEEPTTL: recording a write must not extend the session. Two concurrent writes of one session can still race
      // this get-then-set and lose one record; the commit itself is never lost, only that read-your-writes hint.
      await redis.set(key, JSON.stringify(withWrite(JSON.parse(raw) as Session, write)), "KEEPTTL", "XX");
    },
    async ping() {
      await redis.ping();
    },
  };
}
