/** UserStore over kysely. */
import type { DbHandle } from "../db/connect.ts";
import { isDuplicateKey } from "../db/errors.ts";
import { guardDbError, guarded } from "../db/write.ts";
import type { UserStore } from "../ports.ts";

export function createUserRepository(handle: DbHandle): UserStore {
  return {
    async create(user) {
      try {
        await handle.db
          .insertInto("users")
          .values({ id: user.id, username: user.username, password_hash: user.passwordHash, created_at: Date.now() })
          .execute();
        return user;
      } catch (err) {
        if (isDuplicateKey(err)) return null;
        throw guardDbError(err);
      }
    },
    async findByUsername(username) {
      const row = await guarded(handle.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst());
      return row ? { id: row.id, username: row.username, passwordHash: row.password_hash } : null;
    },
  };
}
