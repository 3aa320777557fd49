/**
 * The seams issue 4 builds on: every item read and list goes through the ReadRouter with the caller's session, a
 * write on MariaDB reports the primary's GTID into the session, and the admin cache endpoints are token-protected.
 */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMariaDb, type MariaDbServer } from "../support/servers.ts";
import { loadConfig } from "../../app/config.ts";
import { buildDeps, primaryOnly } from "../../app/wiring.ts";
import { createApp } from "../../app/app.ts";
import { hashToken } from "../../app/sessions/session-token.ts";
import type { ReadContext } from "../../app/ports.ts";
import { createItem, expectProblem, newUser, startApp, type Harness } from "./support.ts";

describe("seams for the replica router", function () {
  this.timeout(60_000);

  it("routes item reads and lists through the ReadRouter with the session; writes never", async () => {
    const seen: ReadContext[] = [];
    const dataDir = await mkdtemp(join(tmpdir(), "scale-seam-"));
    const deps = await buildDeps(loadConfig({ LOG_LEVEL: "silent", RATE_LIMIT_PER_MINUTE: "0", DATA_DIR: dataDir }), {
      readRouter: (primary) => ({
        async forRead(ctx) {
          seen.push(ctx);
          return primaryOnly(primary).forRead(ctx);
        },
      }),
    });
    try {
      const app = createApp(deps);
      const u = await newUser(app);
      const item = await createItem(app, u.auth, "routed");
      expect(seen).to.have.length(0);
      await app.request(`/v1/items/${item.id}`, { headers: u.auth });
      await app.request(`/v1/users/${u.id}/items`, { headers: u.auth });
      await app.request(`/v1/items/${item.id}`); // anonymous, and now a cache hit: no database read at all
      expect(seen).to.have.length(2);
      expect(seen.map((c) => c.session?.userId)).to.deep.equal([u.id, u.id]);
    } finally {
      await deps.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe("on a MariaDB primary with a binary log", () => {
    let db: MariaDbServer;
    let h: Harness;
    before(async () => {
      db = await startMariaDb({ binlog: true });
      h = await startApp("servers", { mariadbUrl: db.url });
    });
    after(async () => {
      await h?.close();
      await db?.stop();
    });

    it("records the primary's GTID after each write in the writer's session", async () => {
      const u = await newUser(h.app);
      const before = await h.deps.sessions.get(u.token);
      expect(before?.lastWriteGtid).to.equal(null);
      await createItem(h.app, u.auth, "first");
      const first = (await h.deps.sessions.get(u.token))?.lastWriteGtid;
      expect(first).to.match(/^\d+-\d+-\d+$/);
      await createItem(h.app, u.auth, "second");
      const second = (await h.deps.sessions.get(u.token))?.lastWriteGtid;
      expect(Number(second!.split("-")[2])).to.be.greaterThan(Number(first!.split("-")[2]));
      expect(second).to.equal((await db.sql("SELECT @@gtid_binlog_pos")).trim());
      expect(hashToken(u.token)).to.equal((await h.deps.sessions.get(u.token))?.tokenHash);
    });
  });
});

describe("admin cache endpoints", function () {
  this.timeout(30_000);
  const token = "test-admin-token-0123456789";
  let h: Harness;
  before(async () => {
    h = await startApp("servers", { env: { ADMIN_TOKEN: token } });
  });
  after(async () => h?.close());

  it("refuse a missing or wrong token, flush the cache and warm it", async () => {
    await expectProblem(await h.app.request("/admin/cache/flush", { method: "POST" }), 401);
    await expectProblem(await h.app.request("/admin/cache/flush", { method: "POST", headers: { authorization: "Bearer wrong-token-0123456789" } }), 401);
    const admin = { authorization: `Bearer ${token}` };
    const u = await newUser(h.app);
    const item = await createItem(h.app, u.auth, "warm me");
    await h.app.request(`/v1/items/${item.id}`);
    const flushed = await h.app.request("/admin/cache/flush", { method: "POST", headers: admin });
    expect(flushed.status).to.equal(200);
    expect(((await flushed.json()) as { removed: number }).removed).to.be.at.least(1);
    const warm = await h.app.request("/admin/cache/warm?limit=10", { method: "POST", headers: admin });
    expect(await warm.json()).to.deep.equal({ read: 1, stored: 1 });
    expect((await h.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("hit");
  });

  it("are not there at all without ADMIN_TOKEN", async () => {
    const plain = await startApp("embedded");
    try {
      await expectProblem(await plain.app.request("/admin/cache/flush", { method: "POST" }), 404);
    } finally {
      await plain.close();
    }
  });
});

