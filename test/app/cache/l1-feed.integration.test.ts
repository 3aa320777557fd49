/**
 * L1 is used only while its invalidation feed is live, against the real Redis behind a TCP proxy the test can stall
 * or cut: suspended (and emptied) when the feed's connection drops or stops answering its heartbeat, resumed when it
 * is back, and an answer read before a suspension is not kept after it.
 */
import { expect } from "chai";
import { Redis } from "ioredis";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { L1Cache, subscribeInvalidations } from "../../../app/cache/l1-cache.ts";
import { eventually } from "../../support/eventually.ts";
import { SHARED_REDIS } from "../support.ts";

const until = (what: string, condition: () => boolean, timeoutMs = 5_000) => eventually(what, async () => condition() || undefined, timeoutMs);

/** A TCP proxy to Redis whose connections can be stalled (nothing forwarded, nothing closed) or cut. */
async function redisProxy(target: URL) {
  const pairs: Array<[Socket, Socket]> = [];
  let stalled = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    pairs.push([client, upstream]);
    client.pipe(upstream);
    upstream.pipe(client);
    if (stalled) for (const s of [client, upstream]) s.pause();
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const live = () => pairs.filter(([c]) => !c.destroyed);
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stall() {
      stalled = true;
      for (const pair of live()) for (const s of pair) s.pause();
    },
    resume() {
      stalled = false;
      for (const pair of live()) for (const s of pair) s.resume();
    },
    cut() {
      for (const [c, u] of live()) {
        c.destroy();
        u.destroy();
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("L1 and its invalidation feed", function () {
  this.timeout(20_000);
  const channel = `l1-feed-test:${process.pid}:${Date.now()}`;
  const item = (version: number) => ({ version, json: `{"version":${version}}` });
  let proxy: Awaited<ReturnType<typeof redisProxy>>;
  let redis: Redis;
  let publisher: Redis;
  let l1: L1Cache;
  let feed: { close(): Promise<void> };

  before(async () => {
    proxy = await redisProxy(new URL(SHARED_REDIS));
    redis = new Redis(proxy.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    publisher = new Redis(SHARED_REDIS);
    l1 = new L1Cache({ ttlMs: 60_000, maxEntries: 100, maxBytes: 1 << 20 });
    feed = await subscribeInvalidations(redis, channel, l1, pino({ level: "silent" }), { heartbeatMs: 50, silentMs: 300 });
  });
  after(async () => {
    await feed?.close();
    redis?.disconnect();
    publisher?.disconnect();
    await proxy?.close();
  });

  it("starts suspended, is live once the channel is subscribed, and a published write drops the entry", async () => {
    const unfed = new L1Cache({ ttlMs: 60_000, maxEntries: 100, maxBytes: 1 << 20 });
    unfed.set("a", item(1), unfed.epoch);
    expect(unfed.get("a"), "an L1 no feed reaches").to.equal(undefined);
    expect(l1.isLive, "subscribed before subscribeInvalidations returned").to.equal(true);
    l1.set("a", item(1), l1.epoch);
    expect(l1.get("a")).to.deep.equal(item(1));
    await publisher.publish(channel, "a 2");
    await until("the published write drops a", () => l1.get("a") === undefined);
    l1.set("a", item(1), l1.epoch); // the marker refuses the older version
    expect(l1.get("a")).to.equal(undefined);
  });

  it("suspends when the feed stalls without closing, and keeps nothing read before the stall", async () => {
    await until("L1 live", () => l1.isLive);
    const before = l1.epoch;
    l1.set("b", item(1), before);
    proxy.stall();
    try {
      await until("L1 suspended by the silent feed", () => !l1.isLive, 3_000);
      expect(l1.get("b")).to.equal(undefined);
      l1.set("b", item(1), l1.epoch);
      expect(l1.get("b"), "nothing is stored while suspended").to.equal(undefined);
      await publisher.publish(channel, "b 2"); // held up behind the stall, delivered after it
    } finally {
      proxy.resume();
    }
    await until("L1 resumed once the feed answers", () => l1.isLive, 3_000);
    l1.set("e", item(1), before);
    expect(l1.get("e"), "a value read before the suspension").to.equal(undefined);
    // The message published during the stall came in before the heartbeat's answer that resumed L1: its marker is here.
    l1.set("b", item(1), l1.epoch);
    expect(l1.get("b"), "v1 after the write of v2 published during the stall").to.equal(undefined);
    l1.set("b", item(3), l1.epoch);
    expect(l1.get("b")).to.deep.equal(item(3));
  });

  it("suspends the moment the feed's connection drops, and resumes after it resubscribes", async () => {
    await until("L1 live", () => l1.isLive);
    const before = l1.epoch;
    l1.set("c", item(1), before);
    proxy.cut();
    // It reconnects within the poll's 100 ms, so the suspension shows as the epoch moving on.
    await until("L1 suspended by the dropped connection", () => l1.epoch > before, 1_000);
    expect(l1.get("c")).to.equal(undefined);
    await until("L1 resumed after resubscribing", () => l1.isLive, 5_000);
    expect(l1.get("c"), "emptied: messages sent while it was down are lost").to.equal(undefined);
    // Subscribed again: a write published now reaches it.
    l1.set("c", item(4), l1.epoch);
    await publisher.publish(channel, "c 5");
    await until("the published write drops c", () => l1.get("c") === undefined);
  });
});
