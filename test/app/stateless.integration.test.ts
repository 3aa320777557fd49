/**
 * Stateless without Redis (stages 1-2): two real service processes behind one HAProxy (round robin, no stickiness)
 * on one MariaDB. A login made through either works on both, a logout ends it on both, and one rate limit holds
 * across both, keyed on the client's address however much of X-Forwarded-For the client writes itself.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startHaproxy, type HaproxyServer } from "../support/servers.ts";
import { startMain } from "../support/app-process.ts";
import { createDatabase, dropDatabase, SHARED_MARIADB } from "./support.ts";

const LIMIT = 20;

describe("two service processes behind one load balancer, no Redis", function () {
  this.timeout(120_000);
  const database = `app_lb_${randomBytes(4).toString("hex")}`;
  const apps: Array<ReturnType<typeof startMain>> = [];
  let lb: HaproxyServer;

  before(async () => {
    await createDatabase(SHARED_MARIADB, database);
    // TRUST_PROXY=2: the test plays the outer proxy (it writes the client's address last), HAProxy the inner one.
    const env = { PORT: "0", DATABASE_URL: `${SHARED_MARIADB}/${database}`, RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: "2" };
    apps.push(startMain(env), startMain(env));
    const urls = await Promise.all(apps.map((a) => a.listening));
    lb = await startHaproxy(urls.map((u) => new URL(u).host));
  });
  after(async () => {
    await lb?.stop();
    for (const a of apps) a.proc.kill("SIGTERM");
    await Promise.all(apps.map((a) => a.exited));
    await dropDatabase(SHARED_MARIADB, database);
  });

  /** A request through the load balancer as client `client`, which also sent `forged` X-Forwarded-For entries. */
  async function send(client: string, path: string, init: { method?: string; body?: unknown; token?: string; forged?: string[] } = {}) {
    const headers: Record<string, string> = { "x-forwarded-for": [...(init.forged ?? []), client].join(", ") };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const res = await fetch(`${lb.url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: res.status, backend: res.headers.get("x-backend"), retryAfter: res.headers.get("retry-after"), body: await res.text() };
  }

  it("keeps a login working on both processes, and a logout ends it on both", async () => {
    const client = "203.0.113.10";
    const creds = { username: `lb_${randomBytes(3).toString("hex")}`, password: "correct-horse" };
    expect((await send(client, "/v1/users", { method: "POST", body: creds })).status).to.equal(201);
    const login = await send(client, "/v1/sessions", { method: "POST", body: creds });
    expect(login.status).to.equal(201);
    const { token } = JSON.parse(login.body) as { token: string };

    const writes = [];
    for (let i = 0; i < 6; i++) writes.push(await send(client, "/v1/items", { method: "POST", body: { content: `w${i}` }, token }));
    expect(writes.map((w) => w.status)).to.deep.equal([201, 201, 201, 201, 201, 201]);
    expect(new Set(writes.map((w) => w.backend))).to.deep.equal(new Set(["app1", "app2"]));

    expect((await send(client, "/v1/sessions/current", { method: "DELETE", token })).status).to.equal(204);
    const after = [await send(client, "/v1/items", { method: "POST", body: { content: "x" }, token }), await send(client, "/v1/items", { method: "POST", body: { content: "x" }, token })];
    expect(after.map((a) => a.status)).to.deep.equal([401, 401]);
    expect(new Set(after.map((a) => a.backend))).to.deep.equal(new Set(["app1", "app2"]));
  });

  it("enforces one limit across both processes, keyed on the client whatever addresses it prepends", async () => {
    const results = [];
    for (let i = 0; i < 3 * LIMIT; i++) {
      results.push(await send("198.51.100.77", "/v1/items/01900000-0000-7000-8000-000000000000", { forged: [`10.9.${i}.1`, `172.16.0.${i}`] }));
    }
    const allowed = results.filter((r) => r.status === 404).length;
    const limited = results.filter((r) => r.status === 429);
    expect(allowed + limited.length).to.equal(results.length);
    // Each process counting alone would allow 2 x LIMIT; the shared count holds it to LIMIT (+ LIMIT/2 at most).
    expect(allowed).to.be.within(LIMIT, LIMIT + LIMIT / 2);
    for (const r of limited) expect(Number(r.retryAfter)).to.be.within(1, 60);
    expect(new Set(results.map((r) => r.backend))).to.deep.equal(new Set(["app1", "app2"]));
    // Another client through the same proxies still has its whole budget.
    expect((await send("198.51.100.78", "/v1/items/01900000-0000-7000-8000-000000000000")).status).to.equal(404);
  });
});
