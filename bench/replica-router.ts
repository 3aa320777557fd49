/**
 * What the replica router costs per read, as ratios against a baseline measured in the same run:
 * primary-key reads straight on the primary's pool vs the same reads through ReplicaRouter (two real
 * replicas on this box), without a session, and for sessions that write once per 100 reads
 * (read-your-writes by GTID); each case twice, best kept.
 * Run: npm run bench:replicas -- [seconds per case, default 5]
 */
import { sql, type Kysely } from "kysely";
import { Registry } from "prom-client";
import { createMysqlKysely } from "../app/db/mysql.ts";
import { ReplicaRouter } from "../app/db/replicas.ts";
import { mergeGtidPositions } from "../app/db/gtid.ts";
import { startReplicaSet } from "../test/support/replication.ts";

interface DB {
  items: { id: number; content: string; version: number };
}

const SECONDS = Number(process.argv[2] ?? 5);
const CONCURRENCY = 50;
const KEYS = 10_000;

async function measure(name: string, read: (worker: number, i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const start = performance.now();
        await read(worker, i);
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN;
  return { name, perSecond: latencies.length / SECONDS, p99 };
}

const key = () => 1 + Math.floor(Math.random() * KEYS);
const byId = (db: Kysely<DB>) => db.selectFrom("items").selectAll().where("id", "=", key()).executeTakeFirst();

async function main() {
  const set = await startReplicaSet({ replicas: 2, database: "bench" });
  const primary = createMysqlKysely<DB>(`${set.primary.url}/bench`);
  const registry = new Registry();
  const router = await ReplicaRouter.start<DB>({ primary, replicaUrls: set.replicas.map((r) => `${r.url}/bench`), registry });
  try {
    await sql`CREATE TABLE items (id INT PRIMARY KEY, content VARCHAR(1024) NOT NULL, version INT NOT NULL)`.execute(primary);
    const body = "x".repeat(1000);
    for (let from = 1; from <= KEYS; from += 1000) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ id: from + i, content: body, version: 1 }));
      await primary.insertInto("items").values(rows).execute();
    }
    await set.waitAllCaughtUp();
    await router.checkNow();

    // Warm-up: JIT, pools and every server's buffer pool, so the first case measured is not the cold one.
    await measure("warm-up primary", () => byId(primary));
    await measure("warm-up router", () => router.read(byId));

    const sessions = Array.from({ length: CONCURRENCY }, () => "");
    // The primary listed as its own replica: the same server as the baseline, so this isolates the router's own cost.
    const loopback = await ReplicaRouter.start<DB>({ primary, replicaUrls: [`${set.primary.url}/bench`], registry: new Registry() });
    const writeOneIn100 = (readYourWrites: boolean) => async (worker: number, i: number) => {
      if (i % 100 === 0) {
        const { gtid } = await router.write((trx) =>
          trx.updateTable("items").set((eb) => ({ version: eb("version", "+", 1) })).where("id", "=", key()).execute(),
        );
        sessions[worker] = mergeGtidPositions(sessions[worker], gtid);
      }
      return router.read(byId, { gtid: readYourWrites ? sessions[worker] : undefined });
    };
    const cases: Array<[string, (worker: number, i: number) => Promise<unknown>]> = [
      ["primary pool, no router (baseline)", () => byId(primary)],
      ["router over the primary itself", () => loopback.read(byId)],
      ["router, two replicas, no session", () => router.read(byId)],
      // The same writes without the session's GTID on reads: separates the cost of writing from read-your-writes.
      ["router, 1 write per 100 reads, no RYW", writeOneIn100(false)],
      ["router, 1 write per 100 reads, RYW", writeOneIn100(true)],
    ];
    // Two rounds, best of each: neighbours on a shared box only ever slow a case down.
    const results: Array<Awaited<ReturnType<typeof measure>>> = [];
    for (let round = 0; round < 2; round++) {
      for (const [index, [name, read]] of cases.entries()) {
        const r = await measure(name, read);
        const best = results[index];
        if (!best || r.perSecond > best.perSecond) results[index] = r;
      }
    }
    await loopback.close();
    const base = results[0]?.perSecond ?? 1;
    console.log(`replica router bench: ${SECONDS} s per case, ${CONCURRENCY} concurrent readers, ${KEYS} keys of 1 KB`);
    for (const r of results) {
      console.log(
        `${r.name.padEnd(42)} ${r.perSecond.toFixed(0).padStart(7)} reads/s  p99 ${r.p99.toFixed(1).padStart(6)} ms  ratio ${(r.perSecond / base).toFixed(2)}`,
      );
    }
    for (const name of ["db_reads_total", "db_read_primary_fallbacks_total"]) {
      const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      console.log(`${name}: ${values.map((v) => `${Object.values(v.labels).join("")}=${v.value}`).join(", ")}`);
    }
  } finally {
    await router.close();
    await primary.destroy();
    await set.stop();
  }
}

await main();
