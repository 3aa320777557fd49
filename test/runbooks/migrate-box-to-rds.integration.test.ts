import { expect } from "chai";
import { createConnection } from "mysql2/promise";
import { startMariaDb, type MariaDbServer } from "../support/servers.ts";
import { migrateBoxToRds } from "../../runbooks/migrate-box-to-rds.ts";
import { tableFacts } from "../../runbooks/lib/mysql-copy.ts";
import { runForTest } from "./helpers.ts";

const SCHEMA = `
CREATE TABLE users (id VARCHAR(36) PRIMARY KEY, username VARCHAR(32) NOT NULL UNIQUE, password_hash VARCHAR(200) NOT NULL);
CREATE TABLE items (id VARCHAR(36) PRIMARY KEY, owner_id VARCHAR(36) NOT NULL, content TEXT, version INT NOT NULL,
  created_at DATETIME(3) NOT NULL, blob_col VARBINARY(16) NULL, big BIGINT UNSIGNED NULL,
  FOREIGN KEY (owner_id) REFERENCES users(id));
CREATE TABLE tags (item_id VARCHAR(36), tag VARCHAR(20), PRIMARY KEY (item_id, tag));
`;

describe("runbook migrate-box-to-rds (two real MariaDB servers)", function () {
  this.timeout(60_000);
  let box: MariaDbServer;
  let rds: MariaDbServer;

  before(async () => {
    [box, rds] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await box.sql("CREATE DATABASE app CHARACTER SET utf8mb4; CREATE DATABASE back CHARACTER SET utf8mb4");
    await rds.sql("CREATE DATABASE app CHARACTER SET utf8mb4");
    await box.sql(SCHEMA, "app");
    const conn = await createConnection({ uri: `${box.url}/app`, multipleStatements: true });
    const users = Array.from({ length: 50 }, (_, i) => [`u${String(i).padStart(3, "0")}`, `user${i}`, `hash${i}`]);
    await conn.query("INSERT INTO users VALUES ?", [users]);
    const items = Array.from({ length: 2345 }, (_, i) => [
      `i${String(i).padStart(6, "0")}`,
      `u${String(i % 50).padStart(3, "0")}`,
      i % 7 === 0 ? null : `contenu ${i} ✓ ${"x".repeat(i % 100)}`,
      i % 5,
      `2026-01-0${(i % 9) + 1} 12:34:56.${String(i % 1000).padStart(3, "0")}`,
      i % 3 === 0 ? Buffer.from([0, 255, i % 256]) : null,
      i % 4 === 0 ? "18446744073709551615" : null,
    ]);
    await conn.query("INSERT INTO items VALUES ?", [items]);
    await conn.query("INSERT INTO tags VALUES ?", [items.slice(0, 300).flatMap((it) => [[it[0], "a"], [it[0], "b"]])]);
    await conn.end();
  });
  after(async () => {
    await Promise.all([box?.stop(), rds?.stop()]);
  });

  it("copies every table in small batches, verifies counts and checksums, and leaves the source as it was", async () => {
    const before = await box.sql("SELECT COUNT(*) FROM items", "app");
    const { report, audit } = await runForTest(migrateBoxToRds, {
      source: `${box.url}/app`,
      target: `${rds.url}/app`,
      batch: "100",
    });
    expect(report.result, JSON.stringify(report.steps.map((s) => s.error))).to.equal("succeeded");
    const tables = report.steps.find((s) => s.id === "verify")?.outputs.tables as Record<string, { source: { rows: number } }>;
    expect(Object.keys(tables)).to.deep.equal(["items", "tags", "users"]);
    expect(tables.items?.source.rows).to.equal(2345);
    expect(await rds.sql("SELECT COUNT(*), SUM(big IS NOT NULL), SUM(content IS NULL) FROM items", "app")).to.equal("2345\t587\t335\n");
    expect(await box.sql("SELECT COUNT(*) FROM items", "app")).to.equal(before);
    // The URLs are secrets: the audit log keeps where the copy went (host, port, database) and never a password.
    const start = audit.find((e) => e.kind === "runbook.start") as { params: Record<string, string> };
    expect(start.params.target).to.equal(`${rds.url}/app`.replace(/:\/\/([^:@/]+):[^@]+@/, "://$1:[redacted]@"));
  });

  it("refuses to copy into a target that already holds rows, changing nothing", async () => {
    const { report } = await runForTest(migrateBoxToRds, { source: `${box.url}/app`, target: `${rds.url}/app` });
    expect(report.failedStep).to.equal("preflight");
    expect(report.steps[0]?.error).to.match(/already hold rows: items, tags, users/);
    expect(report.steps.slice(1).every((s) => s.status === "skipped")).to.equal(true);
  });

  it("the checksum sees a changed value that the row count does not", async () => {
    const conn = await createConnection({ uri: `${rds.url}/app` });
    const before = await tableFacts(conn, "items");
    await conn.query("UPDATE items SET content = 'tampered' WHERE id = 'i000001'");
    const after = await tableFacts(conn, "items");
    await conn.query("UPDATE items SET content = ? WHERE id = 'i000001'", [`contenu 1 ✓ x`]);
    await conn.end();
    expect(after.rows).to.equal(before.rows);
    expect(after.checksum).not.to.equal(before.checksum);
  });

  it("runs in reverse (to-box) into an empty database, as 1->0 needs", async () => {
    const { report, audit } = await runForTest(migrateBoxToRds, {
      source: `${rds.url}/app`,
      target: `${box.url}/back`,
      direction: "to-box",
    });
    expect(report.result).to.equal("succeeded");
    expect(await box.sql("SELECT COUNT(*) FROM tags", "back")).to.equal("600\n");
    expect(audit[0]).to.deep.include({ kind: "runbook.start", runbook: "migrate-box-to-rds" });
    expect((audit[0]?.params as Record<string, string>).direction).to.equal("to-box");
  });
});
