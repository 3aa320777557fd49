/**
 * The read path under concurrency, through HTTP on both wirings (in-process cache; MariaDB + Redis with L1): the
 * stale-set race forced step by step, single-flight in one process and the fill lease across two, negative entries,
 * L1 invalidation across processes, and a write whose cache invalidation failed.
 * Database reads are counted at the ItemStore port.
 */
import { expect } from "chai";
import type { CachedItem, Item, ReadContext } from "../../../app/ports.ts";
import type { Deps } from "../../../app/wiring.ts";
import { createItem, json, newUser, startApp, type Harness, type ItemBody, type Wiring } from "../support.ts";

/** Wraps ItemStore.findById: counts reads, and can hold the next one after it has read the row. */
function storeProbe() {
  const probe = {
    reads: 0,
    delayMs: 0,
    hold: null as null | { loaded: Promise<Item | null>; release: () => void },
    armHold() {
      let release!: () => void;
      let loaded!: (item: Item | null) => void;
      const released = new Promise<void>((r) => (release = r));
      const h = { loaded: new Promise<Item | null>((r) => (loaded = r)), release, released, onLoaded: loaded };
      probe.hold = h;
      return h;
    },
    wrap(deps: Deps) {
      const findById = deps.items.findById.bind(deps.items);
      deps.items = {
        ...deps.items,
        async findById(id: string, ctx: ReadContext) {
          probe.reads += 1;
          const item = await findById(id, ctx);
          const h = probe.hold as ReturnType<typeof probe.armHold> | null;
          if (h) {
            probe.hold = null;
            h.onLoaded(item);
            await h.released;
          }
          if (probe.delayMs) await new Promise((r) => setTimeout(r, probe.delayMs));
          return item;
        },
      };
    },
  };
  return probe;
}

const body = async (res: Response) => (await res.json()) as ItemBody;

for (const wiring of ["embedded", "servers"] as Wiring[]) {
  describe(`item reads on the ${wiring} wiring`, function () {
    this.timeout(30_000);
    let h: Harness;
    const probe = storeProbe();
    before(async () => {
      h = await startApp(wiring, { wrap: (deps) => probe.wrap(deps) });
    });
    after(async () => h?.close());

    it("never caches v after a write made v+1 (read miss, slow read of v, write + invalidate, late set of v)", async () => {
      const u = await newUser(h.app);
      const item = await createItem(h.app, u.auth, "v1");
      const hold = probe.armHold();
      const slowRead = h.app.request(`/v1/items/${item.id}`);
      expect((await hold.loaded)?.version).to.equal(1); // the reader holds v1, not yet in the cache

      const put = await h.app.request(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: "v2" }, u.auth) });
      expect(put.status).to.equal(200);
      hold.release(); // now the slow reader tries to cache v1
      const late = await slowRead;
      expect((await body(late)).version).to.equal(1); // it began before the write: v1 is a fair answer for it

      expect(await h.deps.cache.get(item.id)).to.equal(null); // the marker for v2 refused the late v1
      const after = await h.app.request(`/v1/items/${item.id}`);
      expect(after.headers.get("x-cache")).to.equal("miss");
      expect(await body(after)).to.include({ version: 2, content: "v2" });
      const again = await h.app.request(`/v1/items/${item.id}`);
      expect(again.headers.get("x-cache")).to.match(/^(hit|l1)$/);
      expect((await body(again)).version).to.equal(2);
    });

    it("answers 500 concurrent misses on one cold key with one database read", async () => {
      const u = await newUser(h.app);
      const item = await createItem(h.app, u.auth, "hot");
      probe.reads = 0;
      probe.delayMs = 20; // keep the first load open while the others arrive
      const all = await Promise.all(Array.from({ length: 500 }, () => h.app.request(`/v1/items/${item.id}`)));
      probe.delayMs = 0;
      expect(all.every((r) => r.status === 200)).to.equal(true);
      expect(new Set(await Promise.all(all.map(async (r) => (await body(r)).content)))).to.deep.equal(new Set(["hot"]));
      expect(probe.reads).to.equal(1);
    });

    it("remembers a 404 for a while, and a deleted id is a 404 without a database read", async () => {
      const missing = "01900000-0000-7000-8000-000000000000";
      probe.reads = 0;
      const first = await h.app.request(`/v1/items/${missing}`);
      expect(first.status).to.equal(404);
      expect(first.headers.get("x-cache")).to.equal("miss");
      const second = await h.app.request(`/v1/items/${missing}`);
      expect(second.status).to.equal(404);
      expect(second.headers.get("x-cache")).to.match(/^(hit|l1)$/);
      expect(probe.reads).to.equal(1);

      const u = await newUser(h.app);
      const item = await createItem(h.app, u.auth, "gone soon");
      expect((await h.app.request(`/v1/items/${item.id}`, { method: "DELETE", headers: u.auth })).status).to.equal(204);
      probe.reads = 0;
      expect((await h.app.request(`/v1/items/${item.id}`)).status).to.equal(404);
      expect(probe.reads).to.equal(0);
    });

    it("reads its own write when the cache invalidation failed after the commit, and retries the marker", async () => {
      const u = await newUser(h.app);
      const item = await createItem(h.app, u.auth, "v1");
      await h.app.request(`/v1/items/${item.id}`); // v1 is cached
      const invalidate = h.deps.cache.invalidate;
      let refused = 0;
      // The service took `cache` at start: patch the object it holds, failing once as in a Redis blip.
      h.deps.cache.invalidate = async (id, v) => {
        if (refused++ === 0) throw new Error("simulated: Redis timed out");
        return invalidate.call(h.deps.cache, id, v);
      };
      try {
        const put = await h.app.request(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: "v2" }, u.auth) });
        expect(put.status).to.equal(200);
        expect(((await h.deps.cache.get(item.id)) as CachedItem).version).to.equal(1); // the old entry is still there
        const read = await h.app.request(`/v1/items/${item.id}`);
        expect(await body(read)).to.include({ version: 2, content: "v2" });
        // the background retry sends the marker again (so other processes stop seeing v1, had this read not refilled it)
        const deadline = Date.now() + 5_000;
        while (refused < 2) {
          expect(Date.now(), "no retry of the invalidation").to.be.below(deadline);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        h.deps.cache.invalidate = invalidate;
      }
    });
  });
}

describe("item reads across two app instances on one Redis", function () {
  this.timeout(30_000);
  let a: Harness;
  let b: Harness;
  const probeA = storeProbe();
  const probeB = storeProbe();
  before(async () => {
    // A long L1 TTL: only the pub/sub invalidation can make B drop its copy within the test.
    const env = { CACHE_L1_TTL_MS: "60000" };
    a = await startApp("servers", { env, wrap: (deps) => probeA.wrap(deps) });
    b = await startApp("servers", { env, names: a.names, wrap: (deps) => probeB.wrap(deps) });
  });
  after(async () => {
    await b?.deps.close();
    await a?.close();
  });

  it("500 concurrent misses split over both instances read the database once (the fill lease)", async () => {
    const u = await newUser(a.app);
    const item = await createItem(a.app, u.auth, "cold and hot");
    probeA.reads = probeB.reads = 0;
    probeA.delayMs = probeB.delayMs = 30;
    const all = await Promise.all(
      Array.from({ length: 500 }, (_, i) => (i % 2 ? a : b).app.request(`/v1/items/${item.id}`)),
    );
    probeA.delayMs = probeB.delayMs = 0;
    expect(all.every((r) => r.status === 200)).to.equal(true);
    expect(probeA.reads + probeB.reads).to.equal(1);
  });

  it("a session reads its own write on the other instance even when the invalidation never arrived", async () => {
    const u = await newUser(a.app);
    const item = await createItem(a.app, u.auth, "v1");
    await b.app.request(`/v1/items/${item.id}`);
    expect((await b.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("l1"); // B holds v1 in L1
    const invalidate = a.deps.cache.invalidate;
    // A Redis blip on A after the commit: no marker, so no pub/sub message to B either.
    a.deps.cache.invalidate = async () => {
      throw new Error("simulated: Redis timed out");
    };
    try {
      const put = await a.app.request(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: "v2" }, u.auth) });
      expect(put.status).to.equal(200);
      // Others may still be served v1 until the retry lands or the TTL ends (the contract's "no stale cache")...
      expect(await body(await b.app.request(`/v1/items/${item.id}`))).to.include({ version: 1 });
      // ...but the writer's session is not, through B's L1 or B's shared cache (read-your-writes).
      const own = await b.app.request(`/v1/items/${item.id}`, { headers: u.auth });
      expect(await body(own)).to.include({ version: 2, content: "v2" });
    } finally {
      a.deps.cache.invalidate = invalidate;
    }
  });

  it("a flush of the shared cache on one instance empties the other's L1 too", async () => {
    const u = await newUser(a.app);
    const item = await createItem(a.app, u.auth, "flushed");
    await b.app.request(`/v1/items/${item.id}`);
    expect((await b.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("l1");
    await a.deps.cache.flush();
    const deadline = Date.now() + 2_000;
    let answeredBy = (await b.app.request(`/v1/items/${item.id}`)).headers.get("x-cache");
    while (answeredBy === "l1" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      answeredBy = (await b.app.request(`/v1/items/${item.id}`)).headers.get("x-cache");
    }
    expect(answeredBy, "B's L1 still answers after the flush").to.equal("miss");
  });

  it("a write on one instance is not served from the other's L1", async () => {
    const u = await newUser(a.app);
    const item = await createItem(a.app, u.auth, "v1");
    await b.app.request(`/v1/items/${item.id}`);
    expect((await b.app.request(`/v1/items/${item.id}`)).headers.get("x-cache")).to.equal("l1");
    const put = await a.app.request(`/v1/items/${item.id}`, { method: "PUT", ...json({ content: "v2" }, u.auth) });
    expect(put.status).to.equal(200);
    const deadline = Date.now() + 2_000;
    let seen = await body(await b.app.request(`/v1/items/${item.id}`));
    while (seen.version < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await body(await b.app.request(`/v1/items/${item.id}`));
    }
    expect(seen).to.include({ version: 2, content: "v2" });
  });
});
