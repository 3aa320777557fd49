/**
 * Sessions in the shared database, for a service with no Redis (the embedded default, and stages 0-2): every
 * process behind the load balancer sees every login and logout, and the row carries the read-your-writes record.
 * Costs: a primary-key read on the primary per request that presents a token, and a small write transaction after
 * each item write (the record). Logins and logouts are refused (503) while the database is read-only.
 */
import type { SessionStore } from "../ports.ts";
import type { SessionRecords } from "./session.repository.ts";
import { hashToken, newSession } from "./session-token.ts";

export function createDbSessionStore(records: SessionRecords, opts: { ttlSeconds: number }): SessionStore {
  return {
    async create(user) {
      const { token, session } = newSession(user, opts.ttlSeconds);
      await records.insert(session);
      return { token, expiresAt: session.expiresAt };
    },
    get: (token) => records.find(hashToken(token)),
    delete: (token) => records.remove(hashToken(token)),
    recordWrite: (tokenHash, write) => records.recordWrite(tokenHash, write),
  };
}
