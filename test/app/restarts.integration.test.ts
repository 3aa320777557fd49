/**
 * Restarts under load, with throwaway servers and real processes: Redis killed and restarted while reads run (no
 * errors, the hit ratio recovers); the primary restarted while writes run (503 + Retry-After meanwhile, and clients
 * retrying with their Idempotency-Key end with exactly one item each); an app process SIGKILLed during writes (every
 * acknowledged write is in the database afterwards).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { createPool } from "mysql2/promise";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "../support/servers.ts";
import { startMain } from "../support/app-process.ts";
import { createDatabase, createItem, dropDatabase, json, newUser, SHARED_MARIADB, SHARED_REDIS, startApp, type Harness, type ItemBody } from "./support.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("restarts: Redis killed and restarted during reads", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let h: Harness;
  before(async () => {
    redis = await startRedis();
    h = await startApp("servers", { redisUrl: redis.url, env: { CACHE_L1_TTL_MS: "200" } });
  });
  after(async () => {
    await h?.close();
    await redis?.stop();
  });

  it("answers every read, and the hit ratio comes back after the restart", async () => {
    const u = await newUser(h.app);
    const items = await Promise.all(Array.from({ length: 20 }, (_, i) => createItem(h.app, u.auth, `item ${i}`)));
    const round = async () => {
      const res = await Promise.all(items.map((i) => h.app.request(`/v1/items/${i.id}`)));
      expect(res.map((r) => r.status)).to.deep.equal(items.map(() => 200));
      return res.map((r) => r.headers.get("x-cache"));
    };
    await round();
    const cached = (xs: Array<string | null>) => xs.filter((x) => x === "hit" || x === "l1").length / xs.length;
    expect(cached(await round())).to.equal(1);

    await redis.kill();
    for (let i = 0; i < 5; i++) {
      await round(); // L1 first, then bypass to the database: never an error
      await sleep(100);
    }
    expect(await round()).to.include("bypass");

    await redis.start();
    const deadline = Date.now() + 15_000;
    let ratio = 0;
    while (ratio < 1 && Date.now() < deadline) {
      await sleep(200);
      await round();
      ratio = cached(await round());
    }
    expect(ratio, "hit ratio after the Redis restart").to.equal(1);
  });
});

describe("restarts: the primary restarted during writes", function () {
  this.timeout(90_000);
  let db: MariaDbServer;
  let h: Harness;
  before(async () => {
    db = await startMariaDb();
    h = await startApp("servers", { mariadbUrl: db.url });
  });
  after(async () => {
    await h?.close();
    await db?.stop();
  });

  it("answers 503 with Retry-After while it is down, and retried keys end with exactly one item each", async () => {
    const u = await newUser(h.app);
    const unavailable: Response[] = [];
    let writing = true;
    // Each client posts item after item; each with its own key, repeated until a 201, as the contract tells clients.
    async function postUntilCreated(content: string) {
      const key = `restart-${randomBytes(6).toString("hex")}`;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const res = await h.app.request("/v1/items", { method: "POST", ...json({ content }, { ...u.auth, "idempotency-key": key }) });
        if (res.status === 201) return (await res.json()) as ItemBody;
        expect(res.status, await res.clone().text()).to.equal(503);
        unavailable.push(res);
        await sleep(50);
      }
      throw new Error(`${content} never got a 201`);
    }
    async function client(n: number) {
      const created: ItemBody[] = [];
      for (let i = 0; writing; i++) created.push(await postUntilCreated(`client ${n} item ${i}`));
      return created;
    }
    const clients = Array.from({ length: 4 }, (_, n) => client(n));
    await sleep(200);
    await db.kill();
    await sleep(1_500);
    await db.start();
    await sleep(300);
    writing = false;
    const created = (await Promise.all(clients)).flat();

    expect(unavailable.length, "no write was refused while the primary was down").to.be.above(0);
    for (const res of unavailable) expect(res.headers.get("retry-after")).to.match(/^\d+$/);
    const stored: ItemBody[] = [];
    let cursor = "";
    do {
      const page = (await (await h.app.request(`/v1/users/${u.id}/items?limit=100${cursor}`)).json()) as { items: ItemBody[]; nextCursor: string | null };
      stored.push(...page.items);
      cursor = page.nextCursor ? `&cursor=${page.nextCursor}` : "";
    } while (cursor);
    // exactly one item per acknowledged request, none from a retry counted twice
    expect(stored.map((i) => i.content).sort()).to.deep.equal(created.map((i) => i.content).sort());
    expect(new Set(stored.map((i) => i.id))).to.deep.equal(new Set(created.map((i) => i.id)));
  });
});

describe("restarts: an app process SIGKILLed during writes", function () {
  this.timeout(60_000);
  const suffix = randomBytes(4).toString("hex");
  const database = `app_kill_${suffix}`;
  before(() => createDatabase(SHARED_MARIADB, database));
  after(() => dropDatabase(SHARED_MARIADB, database));

  it("loses no acknowledged write", async () => {
    const main = startMain({
      PORT: "0",
      DATABASE_URL: `${SHARED_MARIADB}/${database}`,
      REDIS_URL: SHARED_REDIS,
      REDIS_KEY_PREFIX: `appkill:${suffix}:`,
      RATE_LIMIT_PER_MINUTE: "0",
    });
    const url = await main.listening;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: "POST", ...json(body, headers) });
    const creds = { username: `killed_${suffix}`, password: "correct-horse" };
    expect((await post("/v1/users", creds)).status).to.equal(201);
    const { token } = (await (await post("/v1/sessions", creds)).json()) as { token: string };

    const acknowledged: string[] = [];
    let running = true;
    async function writer(n: number) {
      for (let i = 0; running; i++) {
        try {
          const res = await post("/v1/items", { content: `w${n}-${i}` }, { authorization: `Bearer ${token}` });
          if (res.status === 201) acknowledged.push(((await res.json()) as ItemBody).id);
        } catch {
          return; // the connection died with the process: this write was never acknowledged
        }
      }
    }
    const writers = Array.from({ length: 6 }, (_, n) => writer(n));
    while (acknowledged.length < 30) await sleep(20);
    main.proc.kill("SIGKILL");
    await main.exited;
    running = false;
    await Promise.all(writers);

    const pool = createPool({ uri: `${SHARED_MARIADB}/${database}`, connectionLimit: 1 });
    try {
      const [rows] = await pool.query("SELECT id FROM items");
      const stored = new Set((rows as Array<{ id: string }>).map((r) => r.id));
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(missing, `${acknowledged.length} acknowledged, ${stored.size} stored`).to.deep.equal([]);
    } finally {
      await pool.end();
    }
  });
});
