/**
 * Sessions with Redis in front of the database: the database row is the durable record (so a session outlives a
 * Redis restart and every stage move), Redis is the fast path and holds the read-your-writes record.
 * key = prefix + sha256(token), value = the session's JSON, expiry = the session's. A key missing from Redis (a
 * session made before Redis was there, or a Redis that restarted empty) is loaded from the database once; a token
 * the database does not know, or a logout, leaves a short tombstone so neither reaches the database again.
 * Recording a write is a read-modify-write of that JSON, so it runs as an optimistic transaction (WATCH, GET, MULTI
 * SET EXEC, again if another process changed the key meanwhile) on a connection of its own: WATCH belongs to a
 * connection, and the shared one pipelines everyone's commands. This process's records go through it one at a time.
 * A copy in Redis is checked against its row every few minutes, so a logout made where Redis is not configured (a
 * process without it during a rolling stage move) ends the session everywhere within that time.
 * Redis unreachable: anything needing a session is refused (fails closed), as before the database held them.
 */
import type { Redis } from "ioredis";
import type { Session, SessionStore, SessionWrite } from "../ports.ts";
import { mergeGtidPositions, validGtidPosition } from "../db/gtid.ts";
import type { SessionRecords } from "./session.repository.ts";
import { hashToken, newSession } from "./session-token.ts";
import { withWrite } from "./session-writes.ts";

const RECORD_TRIES = 20;
const TOMBSTONE = "-";
/** Longer than a load from the database can take, so a load that read a row just before its logout cannot revive it. */
const TOMBSTONE_MS = 60_000;
/** How long a copy in Redis is trusted before its row is read again (one primary-key read per active session). */
export const SESSION_RECHECK_MS = 5 * 60_000;

export function createRedisSessionStore(redis: Redis, records: SessionRecords, opts: { prefix: string; ttlSeconds: number }): SessionStore {
  const keyOf = (tokenHash: string) => `${opts.prefix}sess:${tokenHash}`;
  /** Present while the copy is known to match its row (set on create, load and recheck). */
  const checkedKeyOf = (tokenHash: string) => `${opts.prefix}sess-ok:${tokenHash}`;
  const markChecked = (tokenHash: string) => redis.set(checkedKeyOf(tokenHash), "1", "PX", SESSION_RECHECK_MS);
  const writer = redis.duplicate();
  writer.on("error", () => undefined); // the shared client reports Redis being down
  void writer.connect().catch(() => undefined);
  let queue: Promise<unknown> = Promise.resolve();

  const parse = (raw: string | null): Session | null => {
    if (!raw || raw === TOMBSTONE) return null;
    const session = JSON.parse(raw) as Session;
    return session.expiresAt > Date.now() ? session : null;
  };

  /** The session from its row, into Redis. Its write record may have been in a Redis that lost it: assume it wrote up to now. */
  async function load(tokenHash: string): Promise<Session | null> {
    const key = keyOf(tokenHash);
    const row = await records.find(tokenHash);
    if (!row) {
      await redis.set(key, TOMBSTONE, "PX", TOMBSTONE_MS, "NX");
      return null;
    }
    const position = await records.primaryPosition();
    const session = { ...row, lastWriteGtid: position ? mergeGtidPositions(validGtidPosition(row.lastWriteGtid), position) : row.lastWriteGtid };
    // NX: a logout's tombstone, or another process's load and records, win over this copy.
    if ((await redis.set(key, JSON.stringify(session), "PXAT", session.expiresAt, "NX")) === null) return parse(await redis.get(key));
    await markChecked(tokenHash);
    return session;
  }

  /** Is the row still there? A logout elsewhere deleted it: end the copy too. The database down: trust the copy. */
  async function recheck(tokenHash: string): Promise<boolean> {
    let row;
    try {
      row = await records.find(tokenHash);
    } catch {
      return true; // checked again on the next request
    }
    if (!row) {
      await redis.set(keyOf(tokenHash), TOMBSTONE, "PX", TOMBSTONE_MS);
      return false;
    }
    await markChecked(tokenHash);
    return true;
  }

  async function recordOnce(key: string, write: SessionWrite): Promise<void> {
    for (let attempt = 0; attempt < RECORD_TRIES; attempt++) {
      await writer.watch(key);
      const raw = await writer.get(key);
      if (!raw || raw === TOMBSTONE) {
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
    async create(user) {
      const { token, session } = newSession(user, opts.ttlSeconds);
      await records.insert(session);
      await Promise.all([redis.set(keyOf(session.tokenHash), JSON.stringify(session), "PXAT", session.expiresAt), markChecked(session.tokenHash)]);
      return { token, expiresAt: session.expiresAt };
    },
    async get(token) {
      const tokenHash = hashToken(token);
      // One round trip: auto-pipelining sends both GETs together.
      const [raw, checked] = await Promise.all([redis.get(keyOf(tokenHash)), redis.get(checkedKeyOf(tokenHash))]);
      if (raw === null) return load(tokenHash);
      const session = parse(raw);
      if (session && checked === null && !(await recheck(tokenHash))) return null;
      return session;
    },
    async delete(token) {
      const tokenHash = hashToken(token);
      await records.remove(tokenHash);
      await redis.set(keyOf(tokenHash), TOMBSTONE, "PX", TOMBSTONE_MS);
    },
    recordWrite(tokenHash, write) {
      const run = queue.then(() => recordOnce(keyOf(tokenHash), write));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      await writer.quit().catch(() => writer.disconnect());
    },
  };
}
