/** The tables as kysely sees them: one schema and one set of queries for MariaDB/MySQL and SQLite. */
import type { Kysely } from "kysely";
import type { PhotoOutboxTable, PhotoTable } from "../photos/photo.table.ts";
import type { ArchiveMonthTable } from "../archive/archive.table.ts";

export interface UserTable {
  id: string;
  username: string;
  password_hash: string;
  created_at: number;
}

export interface ItemTable {
  id: string;
  owner_id: string;
  content: string;
  version: number;
  /** Milliseconds since the epoch: portable across both databases. */
  created_at: number;
  updated_at: number;
}

export interface IdempotencyKeyTable {
  owner_id: string;
  idem_key: string;
  request_hash: string;
  item_id: string;
  response: string;
  created_at: number;
}

/** A session's durable record (sessions/session.repository.ts); the token itself is never stored. */
export interface SessionTable {
  /** sha256 of the token, hex. */
  token_hash: string;
  user_id: string;
  username: string;
  expires_at: number;
  /** Read-your-writes record when there is no Redis (with Redis, Redis holds it): GTID position, and JSON floors. */
  last_write_gtid: string | null;
  recent_writes: string | null;
  created_at: number;
}

/** Requests per client per fixed one-minute window, shared by every process (rate-limit/db-rate-limiter.ts). */
export interface RateLimitTable {
  /** The minute: floor(epoch ms / 60000). */
  window_start: number;
  client_key: string;
  hits: number;
}

export interface Database {
  users: UserTable;
  items: ItemTable;
  idempotency_keys: IdempotencyKeyTable;
  sessions: SessionTable;
  rate_limits: RateLimitTable;
  photos: PhotoTable;
  photo_outbox: PhotoOutboxTable;
  archive_months: ArchiveMonthTable;
}

export type Db = Kysely<Database>;
export type Dialect = "mysql" | "sqlite";
