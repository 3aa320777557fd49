/**
 * The archive job on MariaDB and an S3-protocol server: a month of 100,000 items, interrupted while deleting and while
 * writing, then re-run: nothing lost, nothing duplicated, a done month is a no-op, and reads of archived ids answer 410.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { pino } from "pino";
import { createPool, type Pool } from "mysql2/promise";
import { startApp, SHARED_MARIADB, type Harness } from "../support.ts";
import { startLocalS3, type LocalS3 } from "../../support/aws-servers.ts";
import { openDatabase, type DbHandle } from "../../../app/db/connect.ts";
import { createS3BlobStore, createS3Client } from "../../../app/photos/s3-blob-store.ts";
import { archiveMonth, monthsToArchive } from "../../../app/archive/archiver.ts";
import { decodePart, manifestKey, type Manifest } from "../../../app/archive/archive-files.ts";
import { lowestIdAt, monthStart } from "../../../app/archive/month.ts";
import type { BlobStore } from "../../../app/photos/ports.ts";
import type { ItemTable } from "../../../app/db/schema.ts";
import { idsIn, seedItems as seed } from "../../support/archive-data.ts";

const BUCKET = "archive";

async function countMonth(pool: Pool, month: string, next: string): Promise<number> {
  const [rows] = await pool.query("SELECT COUNT(*) AS n FROM items WHERE id >= ? AND id < ?", [lowestIdAt(monthStart(month)), lowestIdAt(monthStart(next))]);
  return Number((rows as Array<{ n: number }>)[0]!.n);
}

async function archivedRows(store: BlobStore, month: string): Promise<{ rows: ItemTable[]; manifest: Manifest }> {
  const manifest = JSON.parse((await store.get(manifestKey(month)))!.toString()) as Manifest;
  const range = { lowId: lowestIdAt(monthStart(month)), highId: "g" };
  const rows = [];
  for (const part of manifest.parts) rows.push(...decodePart((await store.get(part.key))!, part, range));
  return { rows, manifest };
}

const digest = (rows: ItemTable[]) => createHash("sha256").update(JSON.stringify([...rows].sort((a, b) => (a.id < b.id ? -1 : 1)))).digest("hex");

describe("the archive job (MariaDB + S3-protocol server)", function () {
  this.timeout(600_000);
  let h: Harness;
  let s3: LocalS3;
  let db: DbHandle;
  let pool: Pool;
  let store: BlobStore;
  const logger = pino({ level: "silent" });
  const deps = () => ({ db, archive: store, logger });

  before(async () => {
    s3 = await startLocalS3([BUCKET]);
    h = await startApp("servers");
    const url = `${SHARED_MARIADB}/${h.names!.database}`;
    db = openDatabase({ databaseUrl: url });
    pool = createPool({ uri: url, connectionLimit: 2 });
    store = createS3BlobStore(createS3Client({ region: "us-east-1", endpoint: s3.endpoint }), BUCKET);
  });
  after(async () => {
    await pool?.end();
    await db?.close();
    await h?.close();
    await s3?.stop();
  });

  it("a month of 100,000 items interrupted while deleting, then re-run twice: nothing lost, nothing twice, then a no-op", async () => {
    const january = await seed(pool, "2025-01", 100_000);
    await seed(pool, "2025-02", 10);
    expect(await monthsToArchive(db, monthStart("2025-02"))).to.deep.equal(["2025-01"]);

    const crash = new Error("power cut");
    const interrupted = await archiveMonth(deps(), "2025-01", {
      progress: (e) => {
        if (e.phase === "deleted" && e.items >= 1500) throw crash;
      },
    }).catch((err: unknown) => err);
    expect(interrupted).to.equal(crash);
    expect(await countMonth(pool, "2025-01", "2025-02")).to.equal(98_500);

    // The crashed run's lease is still held: a second run waits its turn rather than racing it.
    expect((await archiveMonth(deps(), "2025-01")).outcome).to.equal("busy");
    await pool.query("UPDATE archive_months SET lease_until = 0");

    const finished = await archiveMonth(deps(), "2025-01");
    expect(finished).to.deep.include({ outcome: "archived", items: 100_000, deleted: 98_500, kept: 0 });
    expect(await countMonth(pool, "2025-01", "2025-02")).to.equal(0);
    expect(await countMonth(pool, "2025-02", "2025-03")).to.equal(10);

    const { rows, manifest } = await archivedRows(store, "2025-01");
    expect(manifest.items).to.equal(100_000);
    expect(new Set(rows.map((r) => r.id)).size).to.equal(100_000);
    expect(digest(rows)).to.equal(digest(january));

    const keysBefore = await s3.keys(BUCKET);
    const again = await archiveMonth(deps(), "2025-01");
    expect(again).to.deep.include({ outcome: "already-archived", items: 100_000, deleted: 0, manifestSha256: finished.manifestSha256 });
    expect(await s3.keys(BUCKET)).to.deep.equal(keysBefore);
    expect(await monthsToArchive(db, monthStart("2025-03"))).to.deep.equal(["2025-02"]);
  });

  it("interrupted while writing: the re-run writes the month whole, once", async () => {
    const march = await seed(pool, "2025-03", 25_000);
    const crash = new Error("killed");
    const err = await archiveMonth(deps(), "2025-03", { partRows: 10_000, progress: (e) => { if (e.phase === "part-written") throw crash; } }).catch((e: unknown) => e);
    expect(err).to.equal(crash);
    expect(await countMonth(pool, "2025-03", "2025-04")).to.equal(25_000);
    await pool.query("UPDATE archive_months SET lease_until = 0");
    const done = await archiveMonth(deps(), "2025-03", { partRows: 10_000 });
    expect(done).to.deep.include({ outcome: "archived", items: 25_000, deleted: 25_000 });
    const { rows, manifest } = await archivedRows(store, "2025-03");
    expect(manifest.parts.map((p) => p.items)).to.deep.equal([10_000, 10_000, 5000]);
    expect(digest(rows)).to.equal(digest(march));
  });

  it("a row updated after it was written stays in the database (its archived copy is older)", async () => {
    const [first] = await seed(pool, "2025-04", 5);
    const done = await archiveMonth(deps(), "2025-04", {
      progress: async (e) => {
        if (e.phase === "verified") await pool.query("UPDATE items SET version = version + 1 WHERE id = ?", [first!.id]);
      },
    });
    expect(done).to.deep.include({ outcome: "archived", items: 5, deleted: 4, kept: 1 });
    expect(await countMonth(pool, "2025-04", "2025-05")).to.equal(1);
  });

  it("a corrupted part stops the run before any row is deleted", async () => {
    await seed(pool, "2025-05", 50);
    const err = await archiveMonth(deps(), "2025-05", {
      progress: async (e) => {
        if (e.phase === "part-written") await store.put("items/month=2025-05/part-00000.jsonl.gz", Buffer.from("junk"), { contentType: "application/gzip" });
      },
    }).catch((e: Error) => e);
    expect(String(err)).to.match(/checksum does not match/);
    expect(await countMonth(pool, "2025-05", "2025-06")).to.equal(50);
  });

  it("a read of an archived id answers 410 with a problem; other ids as before", async () => {
    const h2 = await startApp("servers", { names: h.names });
    try {
      const archivedId = idsIn("2025-01", 100_000)[123]!;
      const gone = await h2.app.request(`/v1/items/${archivedId}`);
      expect(gone.status).to.equal(410);
      expect(gone.headers.get("content-type")).to.match(/problem\+json/);
      expect(((await gone.json()) as { detail: string }).detail).to.match(/2025-01 moved to the archive/);
      const feb = idsIn("2025-02", 10)[3]!;
      expect((await h2.app.request(`/v1/items/${feb}`)).status).to.equal(200);
      const unknownRecent = "01a23839-d026-72d8-b5d7-db0b1e30c979";
      expect((await h2.app.request(`/v1/items/${unknownRecent}`)).status).to.equal(404);
    } finally {
      await h2.close().catch(() => undefined);
    }
  });
});
