import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { cacheFlush } from "../../runbooks/cache-flush.ts";
import { cacheDiagnose } from "../../runbooks/cache-diagnose.ts";
import { cacheWarm } from "../../runbooks/cache-warm.ts";
import { runForTest } from "./helpers.ts";

// The shared Redis on 6379, under a key prefix of this test's own.
const REDIS_URL = "redis://127.0.0.1:6379";
const PREFIX = `cli-test:${process.pid}:`;

describe("cache runbooks (real Redis)", () => {
  let redis: Redis;
  before(() => (redis = new Redis(REDIS_URL)));
  after(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  describe("cache-flush", () => {
    beforeEach(async () => {
      const pipe = redis.pipeline();
      for (let i = 0; i < 1200; i++) pipe.set(`${PREFIX}item:${i}`, "x");
      pipe.set(`${PREFIX}session:1`, "keep");
      await pipe.exec();
    });

    it("deletes exactly the keys that match, in batches, and verifies none are left", async () => {
      const { report, audit } = await runForTest(cacheFlush, { "redis-url": REDIS_URL, pattern: `${PREFIX}item:*` });
      expect(report.result).to.equal("succeeded");
      expect(report.steps[0]?.outputs.matching).to.equal(1200);
      expect(report.steps[1]?.outputs.removed).to.equal(1200);
      expect(await redis.get(`${PREFIX}session:1`)).to.equal("keep");
      // The URL is secret: the audit keeps where it went (host, port, database) and would hide a password.
      const start = audit.find((e) => e.kind === "runbook.start") as { params: Record<string, string> };
      expect(start.params["redis-url"]).to.equal(REDIS_URL.replace(/:\/\/([^:@/]*):[^@]+@/, "://$1:[redacted]@"));
    });

    it("--dry-run counts and deletes nothing", async () => {
      const { report } = await runForTest(cacheFlush, { "redis-url": REDIS_URL, pattern: `${PREFIX}item:*` }, { dryRun: true });
      expect(report.result).to.equal("planned");
      expect(report.steps[1]?.effects[0]).to.match(/UNLINK every key matching/);
      expect((await redis.keys(`${PREFIX}item:*`)).length).to.equal(1200);
      await redis.del(...(await redis.keys(`${PREFIX}item:*`)));
    });

    it("fails the step when the cache does not answer", async () => {
      const { report } = await runForTest(cacheFlush, { "redis-url": "redis://127.0.0.1:1", pattern: `${PREFIX}*` });
      expect(report.failedStep).to.equal("count");
    });
  });

  describe("cache-diagnose", () => {
    it("reads memory, evictions and hit ratio and gives advice", async () => {
      const { report } = await runForTest(cacheDiagnose, { "redis-url": REDIS_URL });
      expect(report.result).to.equal("succeeded");
      expect(report.steps[0]?.outputs).to.include.keys("usedMemory", "evictedKeys", "hitRatio", "maxMemoryPolicy");
      expect(report.steps[1]?.outputs.advice).to.be.an("array").with.length.greaterThan(0);
    });
  });

  describe("cache-warm", () => {
    // Stands in for the app's GET /v1/items/:id contract: the first read is a miss, later reads hit.
    let app: Server;
    let appUrl: string;
    const seen = new Set<string>();
    let neverCaches = false;
    before(async () => {
      app = createServer((req, res) => {
        const id = /^\/v1\/items\/([\w-]+)$/.exec(req.url ?? "")?.[1];
        if (!id || id.startsWith("gone")) return res.writeHead(404).end();
        res.setHeader("X-Cache", seen.has(id) && !neverCaches ? "hit" : "miss");
        seen.add(id);
        res.end(JSON.stringify({ id }));
      });
      await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
      appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    });
    after(() => app.close());

    it("reads each item and checks the second read comes from the cache", async () => {
      const { report } = await runForTest(cacheWarm, { "app-url": appUrl, ids: "a1,a2,gone3" });
      expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
      expect(report.steps[0]?.outputs.statuses).to.deep.equal({ a1: 200, a2: 200, gone3: 404 });
      expect(report.steps[1]?.outputs.cached).to.equal(2);
    });

    it("fails the check when the cache does not serve the second read", async () => {
      neverCaches = true;
      const { report } = await runForTest(cacheWarm, { "app-url": appUrl, ids: "b1" });
      neverCaches = false;
      expect(report.failedStep).to.equal("verify-cached");
      expect(report.steps[1]?.error).to.match(/b1 \(miss\)/);
    });
  });
});
