/** Sessions in Redis (app servers stay stateless): key = prefix + sha256(token), value = JSON, expiry = session TTL. */
import type { Redis } from "ioredis";
import type { Session, SessionStore } from "../ports.ts";
import { hashToken, newToken } from "./session-token.ts";
import { mergeGtidPositions, validGtidPosition } from "../db/gtid.ts";

export function createRedisSessionStore(redis: Redis, opts: { prefix: string; ttlSeconds: number }): SessionStore {
  const keyOf = (tokenHash: string) => `${opts.prefix}sess:${tokenHash}`;
  return {
    async create({ userId, username }) {
      const token = newToken();
      const expiresAt = Date.now() + opts.ttlSeconds * 1000;
      const session: Session = { tokenHash: hashToken(token), userId, username, expiresAt, lastWriteGtid: null };
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
    async recordWrite(tokenHash, gtid) {
      const key = keyOf(tokenHash);
      const raw = await redis.get(key);
      if (!raw) return;
      const session = JSON.parse(raw) as Session;
      // KEEPTTL: carrying the GTID must not extend the session. Merged, not overwritten: two writes of one session can
      // finish out of order, and the older GTID must not replace the newer (a get-then-set still leaves a narrow race).
      await redis.set(key, JSON.stringify({ ...session, lastWriteGtid: mergeGtidPositions(validGtidPosition(session.lastWriteGtid), gtid) }), "KEEPTTL", "XX");
    },
    async ping() {
      await redis.ping();
    },
  };
}
