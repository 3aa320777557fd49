/**
 * The HTTP contract (shared/contracts.md §2) as behaviour tests, run against each wiring by app.test.ts (embedded)
 * and app.integration.test.ts (MariaDB + Redis).
 */
import { expect } from "chai";
import { createItem, expectProblem, json, newUser, startApp, type Harness, type ItemBody, type Wiring } from "./support.ts";

/** `redis: false` runs the servers wiring on MariaDB alone (stages 0-2: sessions and the limiter in the database). */
export function describeContract(wiring: Wiring, opts: { redis?: false } = {}) {
  const name = opts.redis === false ? `${wiring} wiring without Redis` : `${wiring} wiring`;
  const servers = opts.redis === false ? { redisUrl: null } : {};
  describe(`HTTP contract on the ${name}`, function () {
    this.timeout(30_000);
    let h: Harness;
    before(async () => {
      h = await startApp(wiring, servers);
    });
    after(async () => h?.close());
    const req = (path: string, init?: RequestInit) => h.app.request(path, init);

    describe("users and sessions", () => {
      it("signs up, refuses a taken username with 409 and bad fields with 400 naming them", async () => {
        const u = await newUser(h.app);
        const again = await req("/v1/users", { method: "POST", ...json({ username: u.username, password: "whatever1" }) });
        await expectProblem(again, 409);
        for (const [body, field] of [
          [{ username: "ab", password: "password1" }, "username"],
          [{ username: "Upper", password: "password1" }, "username"],
          [{ username: "ok_name", password: "short" }, "password"],
          [{ username: "ok_name", password: "x".repeat(129) }, "password"],
          [{ username: 42, password: "password1" }, "username"],
          [{ password: "password1" }, "username"],
        ] as const) {
          const p = await expectProblem(await req("/v1/users", { method: "POST", ...json(body) }), 400);
          expect(p.detail).to.contain(field);
        }
      });

      it("logs in with a cookie and token, 401 on a wrong password or unknown user", async () => {
        const u = await newUser(h.app);
        const res = await req("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) });
        expect(res.status).to.equal(201);
        const cookie = res.headers.get("set-cookie") ?? "";
        expect(cookie).to.match(/^sid=[A-Za-z0-9_-]{43};/).and.match(/HttpOnly/).and.match(/SameSite=Lax/);
        const body = (await res.json()) as { token: string; expiresAt: string };
        expect(new Date(body.expiresAt).getTime()).to.be.greaterThan(Date.now());
        // the cookie alone authenticates a write
        const viaCookie = await req("/v1/items", { method: "POST", ...json({ content: "c" }, { cookie: `sid=${body.token}` }) });
        expect(viaCookie.status).to.equal(201);
        await expectProblem(await req("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "wrong-password" }) }), 401);
        await expectProblem(await req("/v1/sessions", { method: "POST", ...json({ username: "nobody_here", password: "wrong-password" }) }), 401);
      });

      it("refuses writes with a missing, malformed or forged token, and after logout", async () => {
        const u = await newUser(h.app);
        const write = (headers: Record<string, string>) => req("/v1/items", { method: "POST", ...json({ content: "x" }, headers) });
        await expectProblem(await write({}), 401);
        await expectProblem(await write({ authorization: "Bearer nope" }), 401);
        await expectProblem(await write({ authorization: `Bearer ${"A".repeat(43)}` }), 401);
        await expectProblem(await write({ authorization: "Basic abc" }), 401);
        const out = await req("/v1/sessions/current", { method: "DELETE", headers: u.auth });
        expect(out.status).to.equal(204);
        await expectProblem(await write(u.auth), 401);
      });
    });

    describe("items", () => {
      let owner: Awaited<ReturnType<typeof newUser>>;
      before(async () => {
        owner = await newUser(h.app);
      });

      it("creates an item with a time-ordered string id and reads it: miss, then hit, with an ETag and 304", async () => {
        const item = await createItem(h.app, owner.auth, "hello ✓");
        expect(item).to.include({ ownerId: owner.id, content: "hello ✓", version: 1 });
        expect(item.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
        const first = await req(`/v1/items/${item.id}`);
        expect(first.status).to.equal(200);
        expect(first.headers.get("x-cache")).to.equal("miss");
        expect(first.headers.get("etag")).to.equal('"1"');
        expect(await first.json()).to.deep.equal(item);
        const second = await req(`/v1/items/${item.id}`);
        expect(second.headers.get("x-cache")).to.match(/^(hit|l1)$/); // l1: the in-process cache in front of Redis
        expect(await second.json()).to.deep.equal(item);
        const notModified = await req(`/v1/items/${item.id}`, { headers: { "if-none-match": '"1"' } });
        expect(notModified.status).to.equal(304);
        const changed = await req(`/v1/items/${item.id}`, { headers: { "if-none-match": '"0"' } });
        expect(changed.status).to.equal(200);
      });

      it("limits content by UTF-8 bytes: 1024 passes, 1025 is 413; a lone surrogate is 400; wrong types 400", async () => {
        const euro = "€"; // 3 bytes
        await createItem(h.app, owner.auth, euro.repeat(341) + "a"); // 1024 bytes
        const over = await req("/v1/items", { method: "POST", ...json({ content: euro.repeat(341) + "ab" }, owner.auth) });
        const p = await expectProblem(over, 413);
        expect(p.detail).to.contain("1025 bytes");
        await expectProblem(await req("/v1/items", { method: "POST", ...json('{"content":"a\\ud800b"}', owner.auth) }), 400);
        await expectProblem(await req("/v1/items", { method: "POST", ...json({ content: 5 }, owner.auth) }), 400);
        await expectProblem(await req("/v1/items", { method: "POST", ...json({}, owner.auth) }), 400);
        await expectProblem(await req("/v1/items", { method: "POST", ...json("[1,2]", owner.auth) }), 400);
      });

      it("answers malformed JSON with 400 and a body over 16 KiB with 413 before parsing", async () => {
        await expectProblem(await req("/v1/items", { method: "POST", ...json('{"content": "x"', owner.auth) }), 400);
        // Not even valid JSON: it must be refused for its size, not parsed.
        await expectProblem(await req("/v1/items", { method: "POST", ...json("{" + "x".repeat(17 * 1024), owner.auth) }), 413);
        const before = (await (await req(`/v1/users/${owner.id}/items?limit=100`)).json()) as { items: ItemBody[] };
        await expectProblem(await req("/v1/items", { method: "POST", ...json({ content: "y".repeat(17 * 1024) }, owner.auth) }), 413);
        const after = (await (await req(`/v1/users/${owner.id}/items?limit=100`)).json()) as { items: ItemBody[] };
        expect(after.items.length).to.equal(before.items.length);
      });

      it("answers unknown ids, ids with SQL metacharacters, unknown paths with 404 and wrong methods with 405", async () => {
        await expectProblem(await req("/v1/items/01900000-0000-7000-8000-000000000000"), 404);
        for (const bad of ["1' OR '1'='1", "x; DROP TABLE items;--", '"\\', "%00"]) {
          await expectProblem(await req(`/v1/items/${encodeURIComponent(bad)}`), 404);
        }
        await expectProblem(await req("/v1/nothing"), 404);
        const wrong = await req("/v1/items/01900000-0000-7000-8000-000000000000", { method: "PATCH" });
        await expectProblem(wrong, 405);
        expect(wrong.headers.get("allow")).to.contain("PUT");
        await expectProblem(await req("/v1/items", { method: "GET" }), 405);
        // the items table survived the metacharacters
        expect((await req(`/v1/users/${owner.id}/items`)).status).to.equal(200);
      });

      it("updates with version + 1 for the owner only, honours If-Match, and never serves the old version", async () => {
        const item = await createItem(h.app, owner.auth, "v1");
        await req(`/v1/items/${item.id}`); // cache it
        const put = (content: string, headers: Record<string, string>) => req(`/v1/items/${item.id}`, { method: "PUT", ...json({ content }, headers) });
        const ok = await put("v2", { ...owner.auth, "if-match": '"1"' });
        expect(ok.status).to.equal(200);
        expect(((await ok.json()) as ItemBody).version).to.equal(2);
        const read = await req(`/v1/items/${item.id}`);
        expect(((await read.json()) as ItemBody).content).to.equal("v2");
        await expectProblem(await put("stale", { ...owner.auth, "if-match": '"1"' }), 412);
        await expectProblem(await put("garbage", { ...owner.auth, "if-match": "not-an-etag" }), 412);
        const other = await newUser(h.app);
        await expectProblem(await put("mine now", other.auth), 403);
        await expectProblem(await req(`/v1/items/${item.id}`, { method: "DELETE", headers: other.auth }), 403);
        const blind = await put("v3", owner.auth);
        expect(((await blind.json()) as ItemBody).version).to.equal(3);
        expect(((await (await req(`/v1/items/${item.id}`)).json()) as ItemBody).content).to.equal("v3");
      });

      it("deletes for the owner: 204, then reads 404 even though the item was cached", async () => {
        const item = await createItem(h.app, owner.auth, "short-lived");
        await req(`/v1/items/${item.id}`);
        expect((await req(`/v1/items/${item.id}`)).headers.get("x-cache")).to.match(/^(hit|l1)$/);
        expect((await req(`/v1/items/${item.id}`, { method: "DELETE", headers: owner.auth })).status).to.equal(204);
        await expectProblem(await req(`/v1/items/${item.id}`), 404);
        await expectProblem(await req(`/v1/items/${item.id}`), 404);
        await expectProblem(await req(`/v1/items/${item.id}`, { method: "DELETE", headers: owner.auth }), 404);
      });

      it("lists a user's items newest first with keyset pages, and validates limit and cursor", async () => {
        const lister = await newUser(h.app);
        const made: ItemBody[] = [];
        for (let i = 0; i < 5; i++) made.push(await createItem(h.app, lister.auth, `n${i}`));
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const q: string = cursor ? `&cursor=${cursor}` : "";
          const res = await req(`/v1/users/${lister.id}/items?limit=2${q}`);
          expect(res.status).to.equal(200);
          const page = (await res.json()) as { items: ItemBody[]; nextCursor: string | null };
          expect(page.items.length).to.be.at.most(2);
          seen.push(...page.items.map((i) => i.content));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).to.deep.equal(["n4", "n3", "n2", "n1", "n0"]);
        const all = (await (await req(`/v1/users/${lister.id}/items`)).json()) as { items: ItemBody[]; nextCursor: null };
        expect(all.items.length).to.equal(5);
        expect(all.nextCursor).to.equal(null);
        for (const bad of ["0", "101", "abc", "-1", "2.5"]) await expectProblem(await req(`/v1/users/${lister.id}/items?limit=${bad}`), 400);
        await expectProblem(await req(`/v1/users/${lister.id}/items?cursor=bm90LWFuLWlk`), 400);
      });

      it("replays a POST with the same Idempotency-Key and refuses the key with another body (422)", async () => {
        const u = await newUser(h.app);
        const key = { "idempotency-key": "create-once-1" };
        const first = await createItem(h.app, u.auth, "once", key);
        const retry = await req("/v1/items", { method: "POST", ...json({ content: "once" }, { ...u.auth, ...key }) });
        expect(retry.status).to.equal(201);
        expect(await retry.json()).to.deep.equal(first);
        await expectProblem(await req("/v1/items", { method: "POST", ...json({ content: "twice" }, { ...u.auth, ...key }) }), 422);
        const list = (await (await req(`/v1/users/${u.id}/items`)).json()) as { items: ItemBody[] };
        expect(list.items.map((i) => i.id)).to.deep.equal([first.id]);
        // another user may use the same key string for their own item
        const other = await newUser(h.app);
        const theirs = await createItem(h.app, other.auth, "once", key);
        expect(theirs.id).to.not.equal(first.id);
      });
    });

    describe("concurrency", () => {
      it("gives concurrent blind updates of one item strictly increasing, distinct versions", async () => {
        const u = await newUser(h.app);
        const item = await createItem(h.app, u.auth, "start");
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => req(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: `w${i}` }, u.auth) })),
        );
        expect(results.map((r) => r.status)).to.deep.equal(Array(12).fill(200));
        const versions = (await Promise.all(results.map(async (r) => ((await r.json()) as ItemBody).version))).sort((a, b) => a - b);
        expect(versions).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 2));
        const final = (await (await req(`/v1/items/${item.id}`)).json()) as ItemBody;
        expect(final.version).to.equal(13);
      });

      it("loses no update under If-Match: of racing writers on one version exactly one wins, the rest get 412", async () => {
        const u = await newUser(h.app);
        const item = await createItem(h.app, u.auth, "start");
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            req(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: `w${i}` }, { ...u.auth, "if-match": '"1"' }) }),
          ),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses).to.deep.equal([200, 412, 412, 412, 412, 412, 412, 412]);
        const winner = (await results.find((r) => r.status === 200)!.json()) as ItemBody;
        const final = (await (await req(`/v1/items/${item.id}`)).json()) as ItemBody;
        expect(final).to.deep.equal(winner);
      });

      it("creates one item for concurrent retries with one Idempotency-Key", async () => {
        const u = await newUser(h.app);
        const headers = { ...u.auth, "idempotency-key": "race-1" };
        const results = await Promise.all(Array.from({ length: 8 }, () => req("/v1/items", { method: "POST", ...json({ content: "one" }, headers) })));
        expect(results.map((r) => r.status)).to.deep.equal(Array(8).fill(201));
        const ids = new Set(await Promise.all(results.map(async (r) => ((await r.json()) as ItemBody).id)));
        expect(ids.size).to.equal(1);
        const list = (await (await req(`/v1/users/${u.id}/items`)).json()) as { items: ItemBody[] };
        expect(list.items.length).to.equal(1);
      });
    });

    describe("health and metrics", () => {
      it("serves /healthz, /readyz and Prometheus /metrics with request and cache counters", async () => {
        expect((await req("/healthz")).status).to.equal(200);
        const ready = await req("/readyz");
        expect(ready.status).to.equal(200);
        const metrics = await req("/metrics");
        expect(metrics.status).to.equal(200);
        const text = await metrics.text();
        expect(text).to.match(/http_requests_total\{method="GET",route="\/v1\/items\/:id",status="200"\} \d+/);
        expect(text).to.match(/http_request_duration_seconds_bucket/);
        expect(text).to.match(/item_cache_requests_total\{result="(hit|l1)"\} \d+/);
      });

      it("counts every request in the metrics, by route and status", async () => {
        const u = await newUser(h.app);
        const item = await createItem(h.app, u.auth, "counted");
        const count = async (status: number) => {
          const text = await (await req("/metrics")).text();
          const m = new RegExp(`^http_requests_total\\{method="GET",route="/v1/items/:id",status="${status}"\\} (\\d+)`, "m").exec(text);
          return Number(m?.[1] ?? 0);
        };
        const [ok, notModified] = [await count(200), await count(304)];
        for (let i = 0; i < 3; i++) expect((await req(`/v1/items/${item.id}`)).status).to.equal(200);
        expect((await req(`/v1/items/${item.id}`, { headers: { "if-none-match": '"1"' } })).status).to.equal(304);
        expect(await count(200)).to.equal(ok + 3);
        expect(await count(304)).to.equal(notModified + 1);
      });
    });

    describe("request ids", () => {
      it("answers every request with an X-Request-Id: the caller's when well-formed, a fresh unique one otherwise", async () => {
        const u = await newUser(h.app);
        const item = await createItem(h.app, u.auth, "traced");
        const answers = [
          await req(`/v1/items/${item.id}`),
          await req(`/v1/items/${item.id}`, { headers: { "if-none-match": '"1"' } }),
          await req("/v1/items/01900000-0000-7000-8000-000000000000"),
          await req("/no/such/path"),
          await req("/healthz", { method: "DELETE" }),
          await req("/v1/items", { method: "POST", ...json({ content: 1 }, u.auth) }),
          await req("/healthz"),
        ];
        expect(answers.map((r) => r.status)).to.deep.equal([200, 304, 404, 404, 405, 400, 200]);
        const ids = answers.map((r) => r.headers.get("x-request-id"));
        for (const id of ids) expect(id).to.match(/^[A-Za-z0-9._-]{1,128}$/);
        expect(new Set(ids).size).to.equal(ids.length);
        const kept = await req(`/v1/items/${item.id}`, { headers: { "x-request-id": "edge-abc.123_X" } });
        expect(kept.headers.get("x-request-id")).to.equal("edge-abc.123_X");
        const keptOnError = await req("/v1/items/nope", { headers: { "x-request-id": "edge-err-1" } });
        expect(keptOnError.headers.get("x-request-id")).to.equal("edge-err-1");
        for (const bad of ["has space", "x".repeat(129), "semi;colon"]) {
          const res = await req(`/v1/items/${item.id}`, { headers: { "x-request-id": bad } });
          const id = res.headers.get("x-request-id");
          expect(id).to.not.equal(bad);
          expect(id).to.match(/^[A-Za-z0-9._-]{1,128}$/);
        }
      });

      it("keeps ETag and X-Cache on the read path's answers", async () => {
        const u = await newUser(h.app);
        const item = await createItem(h.app, u.auth, "headers");
        const first = await req(`/v1/items/${item.id}`);
        expect(first.headers.get("etag")).to.equal('"1"');
        expect(first.headers.get("x-cache")).to.be.oneOf(["miss", "hit", "l1"]);
        expect(first.headers.get("content-type")).to.match(/^application\/json/);
        expect(((await first.json()) as ItemBody).id).to.equal(item.id);
        const cached = await req(`/v1/items/${item.id}`, { headers: { "if-none-match": 'W/"1"' } });
        expect(cached.status).to.equal(304);
        expect(cached.headers.get("etag")).to.equal('"1"');
        expect(cached.headers.get("x-cache")).to.be.oneOf(["hit", "l1"]);
        const missing = await req("/v1/items/01900000-0000-7000-8000-000000000000");
        expect(missing.status).to.equal(404);
        expect(missing.headers.get("x-cache")).to.be.oneOf(["miss", "hit", "l1", "bypass"]);
      });
    });
  });

  describe(`rate limiting on the ${name}`, () => {
    let h: Harness;
    before(async () => {
      h = await startApp(wiring, { ...servers, env: { RATE_LIMIT_PER_MINUTE: "3" } });
    });
    after(async () => h?.close());

    it("answers 429 with Retry-After past the per-client limit, and leaves health checks alone", async () => {
      for (let i = 0; i < 3; i++) expect((await h.app.request("/v1/items/01900000-0000-7000-8000-000000000000")).status).to.equal(404);
      const limited = await h.app.request("/v1/items/01900000-0000-7000-8000-000000000000");
      await expectProblem(limited, 429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).to.be.within(1, 60);
      expect((await h.app.request("/healthz")).status).to.equal(200);
    });
  });
}
