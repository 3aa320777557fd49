/**
 * The rate limiter in Redis: two limiters on the shared Redis stand for two app processes. One limit holds across both
 * within the documented bound; clients below half their budget cost no round trip per request (one pipeline per
 * flush); admit() gives the verdict memory can give; Redis away lets requests through and gets the counts later.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { BatchedRateLimiter } from "../../../app/rate-limit/batched-rate-limiter.ts";
import { createRedisRateLimiter } from "../../../app/rate-limit/redis-rate-limiter.ts";
import { startRedis, type RedisServer } from "../../support/servers.ts";
import { SHARED_REDIS, deleteKeys } from "../support.ts";

async function hits(limiter: BatchedRateLimiter, client: string, n: number) {
  const verdicts = [];
  for (let i = 0; i < n; i++) verdicts.push(await limiter.hit(client));
  return verdicts;
}

// One fixed instant (mid-window), so no test straddles a minute; the flush interval is long, the test flushes itself.
const NOW = 1_800_000_030_000;
const WINDOW = Math.floor(NOW / 60_000);

describe("rate limiter in Redis", function () {
  this.timeout(30_000);
  const prefix = `rl-test:${randomBytes(4).toString("hex")}:`;
  let redis: Redis;
  let limiters: BatchedRateLimiter[] = [];
  const limiter = (perMinute: number) => {
    const l = createRedisRateLimiter(redis, { prefix, perMinute, flushMs: 3_600_000, now: () => NOW });
    limiters.push(l);
    return l;
  };

  before(() => {
    redis = new Redis(SHARED_REDIS);
  });
  afterEach(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    limiters = [];
  });
  after(async () => {
    await deleteKeys(SHARED_REDIS, prefix);
    redis?.disconnect();
  });

  it("holds one limit across two processes: a client alternating between them gets at most limit + limit/2", async () => {
    const [a, b] = [limiter(10), limiter(10)];
    const verdicts = [];
    for (let i = 0; i < 30; i++) verdicts.push(await (i % 2 === 0 ? a : b).hit("198.51.100.20"));
    const allowed = verdicts.filter((v) => v.allowed).length;
    expect(allowed).to.be.within(10, 15);
    for (const v of verdicts.filter((v) => !v.allowed)) expect(v.retryAfterSeconds).to.be.within(1, 60);
  });

  it("counts clients below half their budget in memory, and adds them to Redis at the flush", async () => {
    const l = limiter(100);
    for (let c = 0; c < 50; c++) for (const v of await hits(l, `10.1.0.${c}`, 3)) expect(v.allowed).to.equal(true);
    expect(await redis.get(`${prefix}rl:${WINDOW}:10.1.0.7`), "nothing in Redis before the flush").to.equal(null);
    await l.flush();
    expect(await redis.get(`${prefix}rl:${WINDOW}:10.1.0.7`)).to.equal("3");
    expect(await redis.pttl(`${prefix}rl:${WINDOW}:10.1.0.7`)).to.be.within(60_000, 120_000);
  });

  it("admits in memory in the lower half, leaves the upper half to hit(), and refuses past the limit", async () => {
    const l = limiter(4);
    expect([l.admit("198.51.100.50"), l.admit("198.51.100.50"), l.admit("198.51.100.50")]).to.deep.equal([true, true, undefined]);
    expect((await hits(l, "198.51.100.50", 2)).map((v) => v.allowed)).to.deep.equal([true, true]);
    expect(await redis.get(`${prefix}rl:${WINDOW}:198.51.100.50`), "the upper half is counted at once").to.equal("4");
    expect(l.admit("198.51.100.50")).to.equal(false);
    expect((await l.hit("198.51.100.50")).allowed).to.equal(false);
  });
});

describe("rate limiter in Redis, with Redis down", function () {
  this.timeout(30_000);
  let server: RedisServer;
  let redis: Redis;
  let l: BatchedRateLimiter;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    await new Promise((resolve) => redis.once("ready", resolve));
  });
  after(async () => {
    await l?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it("lets requests through at once (fails open), then adds the counts when Redis is back", async () => {
    const errors: Error[] = [];
    let clock = NOW;
    l = createRedisRateLimiter(redis, { prefix: "down:", perMinute: 4, flushMs: 3_600_000, onError: (err) => errors.push(err), now: () => clock });
    await server.kill();
    const verdicts = await hits(l, "198.51.100.40", 3);
    expect(verdicts.map((v) => v.allowed)).to.deep.equal([true, true, true]);
    expect(errors).to.have.length(1);
    await server.start();
    await new Promise((resolve) => (redis.status === "ready" ? resolve(undefined) : redis.once("ready", resolve)));
    clock += 6_000; // past the back-off after a store error
    await l.flush();
    expect(await redis.get(`down:rl:${WINDOW}:198.51.100.40`)).to.equal("3");
  });
});
