/**
 * Sessions in Redis (app servers stay stateless): key = prefix + sha256(token), value = JSON, expiry = session TTL.
 * Recording a write is a read-modify-write of that JSON, so it runs as an optimistic transaction (WATCH, GET, MULTI
 * SET EXEC, again if another process changed the key meanwhile) on a connection of its own: WATCH belongs to a
 * connection, and the shared one pipelines everyone's commands. This process's records go through it one at a time.
 */
import type { Redis } from "ioredis";
import type { Session, SessionStore, SessionWrite } from "../ports.ts";
import { hashToken, newToken } from "./session-token.ts";
import { withWrite } from "./session-writes.ts";

const RECORD_TRIES = 20;

export function createRedisSessionStore(redis: Redis, opts: { prefix: string; ttlSeconds: number }): SessionStore {
  const keyOf = (tokenHash: string) => `${opts.prefix}sess:${tokenHash}`;
  const writer = redis.duplicate();
  writer.on("error", () => undefined); // the shared client reports Redis being down
  void writer.connect().catch(() => undefined);
  let queue: Promise<unknown> = Promise.resolve();

  async function recordOnce(key: string, write: SessionWrite): Promise<void> {
    for (let attempt = 0; attempt < RECORD_TRIES; attempt++) {
      await writer.watch(key);
      const raw = await writer.get(key);
      if (!raw) {
        await writer.unwatch();
        return; // logged out or expired: nothing to record
      }
      // KEEPTTL: recording a write must not extend the session.
      const next = JSON.stringify(withWrite(JSON.parse(raw) as Session, write));
      if ((await writer.multi().set(key, next, "KEEPTTL", "XX").exec()) !== null) return;
      await new Promise((r) => setTimeout(r, Math.random() * 2 * (attempt + 1))); // another process won: back off
    }
    throw new Error(`session record kept changing under ${RECORD_TRIES} tries`);
  }

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
    recordWrite(tokenHash, write) {
      const run = queue.then(() => recordOnce(keyOf(tokenHash), write));
      queue = run.catch(() => undefined);
      return run;
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      await writer.quit().catch(() => writer.disconnect());
    },
  };
}
