/**
 * A write freeze for a data move: the primary is set read_only=ON under a running service (connected as the
 * application user, which read_only binds; root would write through it). Reads go on; every write the database
 * refuses is a 503 problem with Retry-After, never a 500, and so are logins and logouts; the rate limiter in the
 * database keeps letting requests through. After read_only=OFF writes succeed again, and nothing was half-written.
 */
import { expect } from "chai";
import { loadConfig } from "../../app/config.ts";
import { buildDeps, type Deps } from "../../app/wiring.ts";
import { createApp } from "../../app/app.ts";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "../support/servers.ts";
import { createItem, expectProblem, json, newUser, provisionApp, type ItemBody } from "./support.ts";

for (const withRedis of [false, true]) {
  describe(`write freeze (read_only=ON) ${withRedis ? "with Redis" : "without Redis"}`, function () {
    this.timeout(90_000);
    let db: MariaDbServer;
    let redis: RedisServer | undefined;
    let deps: Deps;
    before(async () => {
      db = await startMariaDb();
      if (withRedis) redis = await startRedis();
      const app = await provisionApp(db.url);
      deps = await buildDeps(
        loadConfig({
          LOG_LEVEL: "silent",
          DATABASE_URL: app.url,
          DATABASE_PASSWORD_FILE: app.passwordFile,
          MIGRATE_ON_START: "0",
          RATE_LIMIT_PER_MINUTE: "1000",
          ...(redis ? { REDIS_URL: redis.url } : {}),
        }),
      );
    });
    after(async () => {
      await deps?.close();
      await db?.stop();
      await redis?.stop();
    });

    it("answers reads, refuses writes with 503 + Retry-After while frozen, and writes again after", async () => {
      const app = createApp(deps);
      const u = await newUser(app);
      const item = await createItem(app, u.auth, "before the freeze");
      const path = `/v1/items/${item.id}`;

      await db.sql("SET GLOBAL read_only = ON");
      try {
        expect((await app.request(path)).status).to.equal(200);
        expect((await app.request(path, { headers: u.auth })).status).to.equal(200);
        expect((await app.request(`/v1/users/${u.id}/items`)).status).to.equal(200);
        expect((await app.request("/readyz")).status, "a frozen database still answers: the service stays in rotation").to.equal(200);

        const refused = [
          await app.request("/v1/items", { method: "POST", ...json({ content: "during" }, { ...u.auth, "idempotency-key": "frozen-1" }) }),
          await app.request(path, { method: "PUT", ...json({ content: "during" }, u.auth) }),
          await app.request(path, { method: "DELETE", headers: u.auth }),
          await app.request("/v1/users", { method: "POST", ...json({ username: `frozen_${Date.now() % 1e6}`, password: "password-1" }) }),
          await app.request("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) }),
          await app.request("/v1/sessions/current", { method: "DELETE", headers: u.auth }),
        ];
        for (const res of refused) {
          const p = await expectProblem(res, 503);
          expect(p.type).to.equal("/problems/database-read-only");
          expect(res.headers.get("retry-after")).to.equal("5");
        }
        // The limiter's flush fails against the frozen table; requests still pass.
        await new Promise((r) => setTimeout(r, 1500));
        expect((await app.request(path)).status).to.equal(200);
        // The refused logout left the session working.
        expect((await app.request(path, { headers: u.auth })).status).to.equal(200);
      } finally {
        await db.sql("SET GLOBAL read_only = OFF");
      }

      const after = await app.request("/v1/items", { method: "POST", ...json({ content: "after" }, { ...u.auth, "idempotency-key": "frozen-1" }) });
      expect(after.status, await after.clone().text()).to.equal(201);
      expect(after.headers.get("idempotent-replayed")).to.equal(null); // the frozen attempt left no key behind
      const list = (await (await app.request(`/v1/users/${u.id}/items`)).json()) as { items: ItemBody[] };
      expect(list.items.map((i) => [i.content, i.version])).to.deep.equal([
        ["after", 1],
        ["before the freeze", 1],
      ]);
      expect((await app.request("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) })).status).to.equal(201);
      expect((await app.request("/v1/sessions/current", { method: "DELETE", headers: u.auth })).status).to.equal(204);
    });
  });
}
