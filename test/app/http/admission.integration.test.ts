/**
 * Admission control in a real process on MariaDB + Redis. The items table is locked from the test's own connection,
 * so every read of a cold id waits in the app: the in-flight limit fills up deterministically, and what comes next
 * must be refused at once with 503 and Retry-After while health checks and metrics are still answered.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createConnection, type Connection } from "mysql2/promise";
import { v7 as uuidv7 } from "uuid";
import { freePort } from "../../support/servers.ts";
import { startMain } from "../../support/app-process.ts";
import { createDatabase, deleteKeys, dropDatabase, SHARED_MARIADB, SHARED_REDIS } from "../support.ts";

const LIMIT = 6;
const FLOOD = 30;

describe("admission control (a real process, flooded)", function () {
  this.timeout(90_000);
  const suffix = randomBytes(4).toString("hex");
  const database = `admission_${suffix}`;
  const prefix = `admission:${suffix}:`;
  const procs: ChildProcess[] = [];
  const lockers: Connection[] = [];

  before(async () => createDatabase(SHARED_MARIADB, database));
  after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    for (const l of lockers) await l.end().catch(() => undefined);
    await dropDatabase(SHARED_MARIADB, database);
    await deleteKeys(SHARED_REDIS, prefix);
  });

  async function start(env: Record<string, string>) {
    const main = startMain({
      PORT: String(await freePort()),
      DATABASE_URL: `${SHARED_MARIADB}/${database}`,
      REDIS_URL: SHARED_REDIS,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_PER_MINUTE: "0",
      // Only the in-flight limit: how late the event loop runs on a shared test box is not the test's to decide.
      ADMISSION_MAX_LAG_MS: "0",
      ...env,
    });
    procs.push(main.proc);
    return main.listening;
  }

  /** Hold every read of the items table until release(): the app's reads stay in flight. */
  async function lockItems() {
    const locker = await createConnection({ uri: `${SHARED_MARIADB}/${database}` });
    lockers.push(locker);
    await locker.query("LOCK TABLES items WRITE");
    return async () => {
      await locker.query("UNLOCK TABLES");
    };
  }

  /** Fire `n` reads of distinct cold ids; resolves each as it is answered. */
  const flood = (url: string, n: number) =>
    Array.from({ length: n }, async () => {
      const res = await fetch(`${url}/v1/items/${uuidv7()}`);
      return { status: res.status, retryAfter: res.headers.get("retry-after"), type: res.headers.get("content-type"), body: await res.text(), id: res.headers.get("x-request-id") };
    });

  it("answers past the in-flight limit with 503 and Retry-After at once, keeps health checks answered, and admits again after", async () => {
    const url = await start({ ADMISSION_MAX_IN_FLIGHT: String(LIMIT), ADMISSION_RETRY_AFTER_SECONDS: "7" });
    const release = await lockItems();
    try {
      const answers = flood(url, FLOOD);
      // The refusals arrive while the admitted reads are still held by the lock: they did not wait for them.
      const settled: Array<Awaited<(typeof answers)[number]>> = [];
      for (const a of answers) void a.then((r) => settled.push(r));
      const deadline = Date.now() + 30_000;
      while (settled.length < FLOOD - LIMIT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(settled.length, "refusals answered while the admitted reads are held").to.equal(FLOOD - LIMIT);
      for (const r of settled) {
        expect(r.status, r.body).to.equal(503);
        expect(r.retryAfter).to.equal("7");
        expect(r.type).to.match(/^application\/problem\+json/);
        expect(JSON.parse(r.body)).to.include({ type: "/problems/overloaded", status: 503 });
        expect(r.id).to.be.a("string");
      }
      // Still full: the health checks and metrics are answered all the same.
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const refusedCounted = [...metrics.matchAll(/^http_requests_total\{[^}]*status="503"[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
      expect(refusedCounted).to.equal(FLOOD - LIMIT);
      expect((await fetch(`${url}/v1/items/${uuidv7()}`)).status).to.equal(503);

      await release();
      const admitted = (await Promise.all(answers)).filter((r) => r.status !== 503);
      expect(admitted.map((r) => r.status)).to.deep.equal(Array(LIMIT).fill(404));
    } finally {
      await release().catch(() => undefined);
    }
    // The held reads finished: their places are free again.
    const after = await Promise.all(flood(url, LIMIT));
    expect(after.map((r) => r.status)).to.deep.equal(Array(LIMIT).fill(404));
  });

  it("with the limit off, holds every request instead (the same flood, no 503)", async () => {
    const url = await start({ ADMISSION_MAX_IN_FLIGHT: "0" });
    const release = await lockItems();
    const answers = flood(url, FLOOD);
    let early = 0;
    for (const a of answers) void a.then(() => early++);
    await new Promise((r) => setTimeout(r, 1000));
    expect(early, "nothing is answered while the reads are held").to.equal(0);
    await release();
    const statuses = (await Promise.all(answers)).map((r) => r.status);
    expect(statuses).to.deep.equal(Array(FLOOD).fill(404));
  });
});
