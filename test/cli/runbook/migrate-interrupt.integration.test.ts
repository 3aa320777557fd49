import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import { json, scale } from "../run-scale.ts";
import { tempDir } from "../../support/tmp.ts";

// The shared MariaDB on 3306, in databases of this test's own.
const ROOT = "mysql://root@127.0.0.1:3306";
const SRC = "scale_cli_mig_src";
const DST = "scale_cli_mig_dst";

async function sql(statements: string[]): Promise<void> {
  const conn = await createConnection({ uri: ROOT, multipleStatements: true });
  try {
    for (const s of statements) await conn.query(s);
  } finally {
    await conn.end();
  }
}

const readAudit = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("scale runbook run migrate-box-to-rds (the shared MariaDB)", function () {
  this.timeout(120_000);
  beforeEach(() => sql([`DROP DATABASE IF EXISTS ${SRC}`, `DROP DATABASE IF EXISTS ${DST}`, `CREATE DATABASE ${SRC}`, `CREATE DATABASE ${DST}`]));
  after(() => sql([`DROP DATABASE IF EXISTS ${SRC}`, `DROP DATABASE IF EXISTS ${DST}`]));

  it("accepts a target prepared with `scale db migrate` (kysely's tables are not data)", async () => {
    for (const db of [SRC, DST]) expect((await scale(["db", "migrate", "--database-url", `${ROOT}/${db}`, "--json"])).exit).to.equal(0);
    await sql([`CREATE TABLE ${SRC}.notes (id INT PRIMARY KEY, body VARCHAR(20))`, `INSERT INTO ${SRC}.notes SELECT seq, CONCAT('n', seq) FROM ${SRC}.seq_1_to_500`]);
    const audit = join(tempDir("scale-mig"), "audit.jsonl");
    const run = await scale(["runbook", "run", "migrate-box-to-rds", "-p", `source=${ROOT}/${SRC}`, "-p", `target=${ROOT}/${DST}`, "--yes", "--json", "--audit-log", audit]);
    expect(run.exit, run.stdout).to.equal(0);
    const report = json<{ result: string; steps: { id: string; outputs: Record<string, unknown> }[] }>(run);
    expect(report.result).to.equal("succeeded");
    expect((report.steps[1]?.outputs.copied as Record<string, number>).notes).to.equal(500);
  });

  it("refuses a target migrated past the source (nothing changed)", async () => {
    for (const db of [SRC, DST]) expect((await scale(["db", "migrate", "--database-url", `${ROOT}/${db}`, "--json"])).exit).to.equal(0);
    await sql([`INSERT INTO ${DST}.kysely_migration (name, timestamp) VALUES ('9999_future', '2030-01-01')`]);
    const audit = join(tempDir("scale-mig"), "audit.jsonl");
    const run = await scale(["runbook", "run", "migrate-box-to-rds", "-p", `source=${ROOT}/${SRC}`, "-p", `target=${ROOT}/${DST}`, "--yes", "--audit-log", audit]);
    expect(run.exit).to.equal(1);
    expect(run.message).to.include("9999_future");
  });

  it("Ctrl-C during the copy exits 130, records the step and what it left, and says how to clean up", async () => {
    await sql([
      `CREATE TABLE ${SRC}.items (id INT PRIMARY KEY, content VARCHAR(40))`,
      `INSERT INTO ${SRC}.items SELECT seq, CONCAT('item ', seq) FROM ${SRC}.seq_1_to_200000`,
    ]);
    const audit = join(tempDir("scale-mig"), "audit.jsonl");
    const child = spawn(
      "bin/scale",
      ["runbook", "run", "migrate-box-to-rds", "-p", `source=${ROOT}/${SRC}`, "-p", `target=${ROOT}/${DST}`, "-p", "batch=200", "--yes", "--audit-log", audit],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const copying = new Promise<void>((resolve) =>
      child.stderr.on("data", (d) => {
        stderr += d;
        // The first progress line: rows are being copied.
        if (/items: [\d,]+ of 200,000 rows/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await Promise.race([copying, exited]);
    child.kill("SIGINT");
    const code = await exited;
    expect(code, stderr).to.equal(130);
    expect(stderr).to.match(/interrupted in step copy/);
    expect(stderr).to.match(/items holds [\d,]+ of 200,000 rows/);
    expect(stderr).to.match(/To clean up: empty the target .*DROP TABLE `items`/);
    const entries = readAudit(audit);
    const interrupted = entries.find((e) => e.kind === "runbook.interrupted") as { step: string; progress: { rowsCopied: number } } | undefined;
    expect(interrupted?.step).to.equal("copy");
    expect(interrupted?.progress.rowsCopied).to.be.greaterThan(0).and.lessThan(200_000);
    expect(entries.at(-1)).to.deep.include({ kind: "runbook.end", result: "interrupted" });
    expect(stdout).to.include("interrupted");
  });
});
