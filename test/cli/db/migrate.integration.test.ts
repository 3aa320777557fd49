import { expect } from "chai";
import { createConnection } from "mysql2/promise";
import { json, scale } from "../run-scale.ts";

// The shared MariaDB on 3306, in a database of this test's own.
const DB = "scale_cli_migrate_test";
const ROOT = "mysql://root@127.0.0.1:3306";

describe("scale db migrate", () => {
  before(async () => {
    const conn = await createConnection({ uri: ROOT });
    await conn.query(`DROP DATABASE IF EXISTS ${DB}`);
    await conn.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4`);
    await conn.end();
  });
  after(async () => {
    const conn = await createConnection({ uri: ROOT });
    await conn.query(`DROP DATABASE IF EXISTS ${DB}`);
    await conn.end();
  });

  it("applies the app's migrations once, then reports the database up to date", async () => {
    const first = await scale(["db", "migrate", "--database-url", `${ROOT}/${DB}`, "--json"]);
    expect(first.exit, first.stdout).to.equal(0);
    expect(json<{ applied: string[] }>(first).applied).to.have.length.greaterThan(0);
    const second = await scale(["db", "migrate", "--database-url", `${ROOT}/${DB}`]);
    expect(second.stdout).to.match(/is up to date/);
  });

  it("fails with exit 1 and a redacted URL when the database does not answer", async () => {
    const run = await scale(["db", "migrate", "--database-url", "mysql://app:hunter22@127.0.0.1:1/app"]);
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/migrating mysql:\/\/app:\[redacted\]@127\.0\.0\.1:1\/app failed/);
    expect(run.message).not.to.include("hunter22");
  });
});

describe("scale db migrate usage", () => {
  it("exits 2 without a database, or with a URL that is not MySQL's", async () => {
    expect((await scale(["db", "migrate"])).exit).to.equal(2);
    const run = await scale(["db", "migrate", "--database-url", "postgres://u:secretpw@h/db"]);
    expect(run.exit).to.equal(2);
    expect(run.message).not.to.include("secretpw");
  });
});

describe("scale db migrate: the audit log", () => {
  it("records the run with the target's host and database, never its password", async () => {
    const { tempDir } = await import("../../support/tmp.ts");
    const { readFileSync } = await import("node:fs");
    const dir = tempDir("scale-dbm-audit");
    const auditPath = `${dir}/audit.jsonl`;
    const run = await scale(["db", "migrate", "--data-dir", dir, "--audit-log", auditPath, "--json"]);
    expect(run.exit, run.stdout).to.equal(0);
    const failed = await scale(["db", "migrate", "--database-url", "mysql://app:hunter2@127.0.0.1:1/app", "--audit-log", auditPath]);
    expect(failed.exit).to.equal(1);
    const entries = readFileSync(auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(entries[0]).to.deep.include({ kind: "db.migrate", result: "succeeded" });
    expect(entries[0].applied).to.have.length.greaterThan(0);
    expect(entries[1]).to.deep.include({ kind: "db.migrate", result: "failed", target: "mysql://app:[redacted]@127.0.0.1:1/app" });
    expect(JSON.stringify(entries)).not.to.include("hunter2");
  });
});
