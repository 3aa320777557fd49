/** The tables as kysely sees them: one schema and one set of queries for MariaDB/MySQL and SQLite. */
import type { Kysely } from "kysely";

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

export interface Database {
  users: UserTable;
  items: ItemTable;
  idempotency_keys: IdempotencyKeyTable;
}

export type Db = Kysely<Database>;
export type Dialect = "mysql" | "sqlite";
