/**
 * Versioned schema migrations, one list for both databases (kysely's schema builder). Append new ones; never edit an
 * applied one. MariaDB/MySQL tables are created utf8mb4 explicitly: a server started without defaults is latin1.
 */
import { sql, type Kysely, type Migration, type CreateTableBuilder } from "kysely";
import type { Dialect } from "./schema.ts";
import { createHeartbeatTable } from "./heartbeat.ts";

export function migrations(dialect: Dialect): Record<string, Migration> {
  const table = <T extends string, C extends string>(b: CreateTableBuilder<T, C>) =>
    dialect === "mysql" ? b.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : b;
  return {
    "0001_users_items": {
      async up(db: Kysely<unknown>) {
        await table(
          db.schema
            .createTable("users")
            .addColumn("id", "varchar(36)", (c) => c.primaryKey())
            .addColumn("username", "varchar(32)", (c) => c.notNull().unique())
            .addColumn("password_hash", "varchar(255)", (c) => c.notNull())
            .addColumn("created_at", "bigint", (c) => c.notNull()),
        ).execute();
        await table(
          db.schema
            .createTable("items")
            .addColumn("id", "varchar(36)", (c) => c.primaryKey())
            .addColumn("owner_id", "varchar(36)", (c) => c.notNull())
            .addColumn("content", "text", (c) => c.notNull())
            .addColumn("version", "integer", (c) => c.notNull())
            .addColumn("created_at", "bigint", (c) => c.notNull())
            .addColumn("updated_at", "bigint", (c) => c.notNull()),
        ).execute();
        // Ids are UUIDv7 (time-ordered), so "newest first" is (owner_id, id desc): one index serves keyset pages.
        await db.schema.createIndex("items_owner_id").on("items").columns(["owner_id", "id"]).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("items").execute();
        await db.schema.dropTable("users").execute();
      },
    },
    "0002_idempotency_keys": {
      async up(db: Kysely<unknown>) {
        await table(
          db.schema
            .createTable("idempotency_keys")
            .addColumn("owner_id", "varchar(36)", (c) => c.notNull())
            .addColumn("idem_key", "varchar(255)", (c) => c.notNull())
            .addColumn("request_hash", "char(64)", (c) => c.notNull())
            .addColumn("item_id", "varchar(36)", (c) => c.notNull())
            // The first 201 body, so a retry returns exactly the first result even after later updates.
            .addColumn("response", "text", (c) => c.notNull())
            .addColumn("created_at", "bigint", (c) => c.notNull())
            .addPrimaryKeyConstraint("idempotency_keys_pk", ["owner_id", "idem_key"]),
        ).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("idempotency_keys").execute();
      },
    },
    // Sessions and the rate limiter in the shared database when there is no Redis, and the replica heartbeat made
    // here rather than at start, so the application user needs no CREATE privilege.
    "0003_sessions_rate_limits": {
      async up(db: Kysely<unknown>) {
        await table(
          db.schema
            .createTable("sessions")
            .addColumn("token_hash", "char(64)", (c) => c.primaryKey())
            .addColumn("user_id", "varchar(36)", (c) => c.notNull())
            .addColumn("username", "varchar(32)", (c) => c.notNull())
            .addColumn("expires_at", "bigint", (c) => c.notNull())
            .addColumn("last_write_gtid", "varchar(1000)")
            .addColumn("recent_writes", "text")
            .addColumn("created_at", "bigint", (c) => c.notNull()),
        ).execute();
        await db.schema.createIndex("sessions_expires_at").on("sessions").column("expires_at").execute();
        await table(
          db.schema
            .createTable("rate_limits")
            .addColumn("window_start", "bigint", (c) => c.notNull())
            .addColumn("client_key", "varchar(64)", (c) => c.notNull())
            .addColumn("hits", "integer", (c) => c.notNull())
            .addPrimaryKeyConstraint("rate_limits_pk", ["window_start", "client_key"]),
        ).execute();
        if (dialect === "mysql") await createHeartbeatTable(db);
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("rate_limits").execute();
        await db.schema.dropTable("sessions").execute();
      },
    },
    "0004_photos_outbox": {
      async up(db: Kysely<unknown>) {
        await table(
          db.schema
            .createTable("photos")
            .addColumn("id", "varchar(36)", (c) => c.primaryKey())
            .addColumn("owner_id", "varchar(36)", (c) => c.notNull())
            .addColumn("status", "varchar(16)", (c) => c.notNull())
            .addColumn("content_type", "varchar(32)", (c) => c.notNull())
            .addColumn("bytes", "bigint", (c) => c.notNull())
            .addColumn("sha256", "char(64)", (c) => c.notNull())
            .addColumn("width", "integer")
            .addColumn("height", "integer")
            .addColumn("thumb_key", "varchar(255)")
            .addColumn("thumb_width", "integer")
            .addColumn("thumb_height", "integer")
            .addColumn("error", "varchar(500)")
            .addColumn("created_at", "bigint", (c) => c.notNull())
            .addColumn("updated_at", "bigint", (c) => c.notNull()),
        ).execute();
        // The per-user upload rate counts an owner's recent photos.
        await db.schema.createIndex("photos_owner_created").on("photos").columns(["owner_id", "created_at"]).execute();
        await table(
          db.schema
            .createTable("photo_outbox")
            .addColumn("id", "varchar(36)", (c) => c.primaryKey())
            .addColumn("photo_id", "varchar(36)", (c) => c.notNull())
            .addColumn("sha256", "char(64)", (c) => c.notNull())
            .addColumn("created_at", "bigint", (c) => c.notNull())
            .addColumn("lease_until", "bigint", (c) => c.notNull()),
        ).execute();
        await db.schema.createIndex("photo_outbox_photo").on("photo_outbox").column("photo_id").execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("photo_outbox").execute();
        await db.schema.dropTable("photos").execute();
      },
    },
    "0005_archive_months": {
      async up(db: Kysely<unknown>) {
        await table(
          db.schema
            .createTable("archive_months")
            .addColumn("month", "char(7)", (c) => c.primaryKey())
            .addColumn("state", "varchar(16)", (c) => c.notNull())
            .addColumn("item_count", "bigint", (c) => c.notNull())
            .addColumn("kept_count", "bigint", (c) => c.notNull())
            .addColumn("manifest_key", "varchar(255)", (c) => c.notNull())
            .addColumn("manifest_sha256", "char(64)", (c) => c.notNull())
            .addColumn("lease_until", "bigint", (c) => c.notNull())
            .addColumn("lease_owner", "varchar(64)", (c) => c.notNull())
            .addColumn("updated_at", "bigint", (c) => c.notNull()),
        ).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable("archive_months").execute();
      },
    },
  };
}
