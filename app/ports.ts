/**
 * The ports the features depend on. Adapters (kysely over mysql2 or SQLite, ioredis, in-process) implement them and
 * are chosen in one place: wiring.ts.
 */
import type { Db } from "./db/schema.ts";

export interface Item {
  id: string;
  ownerId: string;
  content: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface User {
  id: string;
  username: string;
  passwordHash: string;
}

export interface Session {
  /** sha256 of the token: the only form the store keeps. */
  tokenHash: string;
  userId: string;
  username: string;
  expiresAt: number;
  /** The primary's GTID after this session's last write (MariaDB), for read-your-writes on replicas; null if none. */
  lastWriteGtid: string | null;
  /**
   * Item id → the version this session last wrote (DELETED for a delete), its newest writes only: any app process
   * serving the session's next read refuses an older cached copy, even one its L1 or a missed invalidation kept.
   * Absent in sessions stored before it existed.
   */
  recentWrites?: Record<string, number>;
}

/** What a session records after a committed write of its own. */
export interface SessionWrite {
  itemId: string;
  version: number;
  /** The primary's GTID after the commit; null on SQLite or when it could not be read. */
  gtid: string | null;
}

/** What a read knows about its caller, so the read router can honour read-your-writes. */
export interface ReadContext {
  session: Session | null;
}

/**
 * Picks the database connection for a read. Today: the primary. Issue 4's replica router (app/db/replicas.ts)
 * implements this with healthy-replica choice, lag checks and GTID waits.
 */
export interface ReadRouter {
  forRead(ctx: ReadContext): Promise<Db>;
  close?(): Promise<void>;
}

/** A committed write and the primary's GTID right after its COMMIT (null on SQLite or without a binlog). */
export interface WriteResult<T> {
  value: T;
  gtid: string | null;
}

export interface ItemPage {
  items: Item[];
  nextCursor: string | null;
}

export type UpdateOutcome =
  | { kind: "updated"; item: Item }
  | { kind: "not-found" }
  | { kind: "forbidden" }
  | { kind: "version-mismatch"; current: number };

export type DeleteOutcome = "deleted" | "not-found" | "forbidden";

export interface ItemStore {
  findById(id: string, ctx: ReadContext): Promise<Item | null>;
  listByOwner(ownerId: string, opts: { limit: number; afterId: string | null }, ctx: ReadContext): Promise<ItemPage>;
  /**
   * Insert an item; with an idempotency key, record it in the same transaction. A key already used by this owner
   * returns the stored request hash and the item it created instead of inserting.
   */
  create(input: { ownerId: string; content: string; idempotency?: { key: string; requestHash: string } }): Promise<
    WriteResult<{ item: Item; replayOf?: { requestHash: string } }>
  >;
  update(input: { id: string; ownerId: string; content: string; ifVersion: number | null }): Promise<WriteResult<UpdateOutcome>>;
  remove(input: { id: string; ownerId: string }): Promise<WriteResult<DeleteOutcome>>;
  /** Newest items first, for cache warming. */
  newest(limit: number): Promise<Item[]>;
}

export interface UserStore {
  /** Returns null when the username is taken. */
  create(user: User): Promise<User | null>;
  findByUsername(username: string): Promise<User | null>;
}

export interface SessionStore {
  create(user: { userId: string; username: string }): Promise<{ token: string; expiresAt: number }>;
  /** Resolve a presented token; null when unknown or expired. Throws when the store is unreachable. */
  get(token: string): Promise<Session | null>;
  delete(token: string): Promise<void>;
  recordWrite(tokenHash: string, write: SessionWrite): Promise<void>;
  /** Release connections of its own, if it has any. */
  close?(): Promise<void>;
}

export interface CachedItem {
  version: number;
  json: string;
}

/** A cache answer meaning "no such item" (a negative entry or a deleted id): a 404 without asking the database. */
export const ABSENT = "absent";

/**
 * The item cache. Every entry carries the row version, and a set never replaces a newer version with an older one:
 * `invalidate(id, v)` leaves a marker that refuses any set below v, `remove(id)` one that refuses every set, so a
 * reader holding an old row cannot put it back (the stale-set rule issue 4 builds on). Methods throw when the
 * cache is unreachable; callers treat that as a bypass.
 */
export interface ItemCache {
  /**
   * The cached item as its JSON body (served as is: a hit does no parse or stringify) and its version; ABSENT when
   * the cache knows there is no such item; null when it does not know.
   */
  get(id: string): Promise<CachedItem | typeof ABSENT | null>;
  /**
   * true if stored, false if refused because the cache already holds or expects a newer version. `json`: the item's
   * JSON when the caller already made it (the miss path sends the same bytes it stores).
   */
  set(item: Item, json?: string): Promise<boolean>;
  /**
   * For a cache in this process (the embedded default's): what get() would answer, synchronously, so a hit costs no
   * promise. Absent on caches across the network.
   */
  peek?(id: string): CachedItem | typeof ABSENT | null;
  /** Remember for `ttlMs` that the id was not found; only into an empty slot, so it never hides a write's marker. */
  setAbsent(id: string, ttlMs: number): Promise<void>;
  /**
   * Take the short lease to fill this id from the database (one filler per key across processes, so a cold hot key
   * does not stampede the database); false when another holder has it. release() gives it back early.
   */
  lease(id: string, ttlMs: number): Promise<boolean>;
  release(id: string): Promise<void>;
  invalidate(id: string, minVersion: number): Promise<void>;
  remove(id: string): Promise<void>;
  flush(): Promise<number>;
  ping(): Promise<void>;
}

export interface RateLimiter {
  /** Count one request for a client in the current window. */
  hit(clientId: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /**
   * The verdict this process can give without the shared store: true (counted and allowed), false (refused), or
   * undefined (nothing counted: only hit() can decide).
   */
  admit(clientId: string): boolean | undefined;
}
