/** data-archive on MariaDB and an S3-protocol server: a dry run plans and changes nothing; a run archives and is audited. */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { createPool, type Pool } from "mysql2/promise";
import { dataArchive } from "../../runbooks/data-archive.ts";
import { migrate } from "../../app/db/migrate.ts";
import { SHARED_MARIADB, createDatabase, dropDatabase } from "../app/support.ts";
import { startLocalS3, type LocalS3 } from "../support/aws-servers.ts";
import { seedItems } from "../support/archive-data.ts";
import { runForTest } from "./helpers.ts";

describe("runbook data-archive (MariaDB + fauxqs S3)", function () {
  this.timeout(120_000);
  const database = `archive_rb_${randomBytes(4).toString("hex")}`;
  const url = `${SHARED_MARIADB}/${database}`;
  let s3: LocalS3;
  let pool: Pool;
  let params: Record<string, string>;

  before(async () => {
    s3 = await startLocalS3(["archive"]);
    await createDatabase(SHARED_MARIADB, database);
    await migrate({ databaseUrl: url });
    pool = createPool({ uri: url, connectionLimit: 2 });
    await seedItems(pool, "2024-06", 300);
    await seedItems(pool, "2024-07", 20);
    params = { "database-url": url, "archive-bucket": "archive", "s3-endpoint": s3.endpoint, month: "2024-06" };
  });
  after(async () => {
    await pool?.end();
    await dropDatabase(SHARED_MARIADB, database);
    await s3?.stop();
  });

  const count = async () => Number(((await pool.query("SELECT COUNT(*) AS n FROM items"))[0] as Array<{ n: number }>)[0]!.n);

  it("a dry run lists the month and its items, and changes nothing", async () => {
    const { report } = await runForTest(dataArchive, params, { dryRun: true, maxStepTimeoutMs: 60_000 });
    expect(report.result).to.equal("planned");
    expect(report.steps[0]!.outputs).to.deep.equal({ months: ["2024-06"], items: { "2024-06": 300 } });
    expect(report.steps[1]!.effects[0]).to.match(/archive 2024-06 to s3:\/\/archive\/items\/month=2024-06\//);
    expect(await count()).to.equal(320);
    expect(await s3.keys("archive")).to.deep.equal([]);
  });

  it("a run archives the month, is audited with the database's host but no password, and a second run is a no-op", async () => {
    const first = await runForTest(dataArchive, params, { maxStepTimeoutMs: 60_000 });
    expect(first.report.result, JSON.stringify(first.report.steps)).to.equal("succeeded");
    expect((first.report.steps[1]!.outputs.results as Array<Record<string, unknown>>)[0]).to.deep.include({ month: "2024-06", outcome: "archived", items: 300, deleted: 300, kept: 0 });
    expect(await count()).to.equal(20);
    expect(await s3.keys("archive")).to.deep.equal(["items/month=2024-06/manifest.json", "items/month=2024-06/part-00000.jsonl.gz"]);
    const audited = JSON.stringify(first.audit);
    expect(audited).to.include("data-archive").and.include("2024-06");
    // Where the run went stays in the audit (host and database); a password would be "[redacted]" (this URL has none).
    const start = first.audit.find((e) => e.kind === "runbook.start") as { params: Record<string, string> };
    expect(start.params["database-url"]).to.equal(url.replace(/:\/\/([^:@/]*):[^@]+@/, "://$1:[redacted]@"));
    const again = await runForTest(dataArchive, params, { maxStepTimeoutMs: 60_000 });
    expect((again.report.steps[1]!.outputs.results as Array<{ outcome: string }>)[0]!.outcome).to.equal("already-archived");
    expect(await s3.keys("archive")).to.have.length(2);
  });
});
