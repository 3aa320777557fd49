import { expect } from "chai";
import { execa } from "execa";

// `scale --help` loads every command file: none of them may load Pulumi, the AWS SDK, the database
// drivers or Redis at import time (they cost seconds and ~150 MB; only the command that runs pays).
const HEAVY = ["@pulumi", "@aws-sdk", "mysql2", "ioredis", "kysely"];
const COMMANDS = [
  "capacity",
  "db/migrate",
  "runbook/list",
  "runbook/show",
  "runbook/run",
  "stage/status",
  "stage/up",
  "stage/down",
  "history",
  "logs",
  "deploy",
  "rollback",
];

async function heavyModulesAfter(imports: string[]): Promise<Record<string, number>> {
  const code = [
    'import { createRequire } from "node:module";',
    ...imports.map((i) => `await import(${JSON.stringify(i)});`),
    "const cache = Object.keys(createRequire(import.meta.url).cache);",
    `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(HEAVY)}.map((m) => [m, cache.filter((k) => k.includes("node_modules/" + m + "/")).length]))));`,
  ].join("\n");
  const { stdout } = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code]);
  return JSON.parse(stdout) as Record<string, number>;
}

describe("the CLI's commands load heavy modules lazily", function () {
  this.timeout(60_000);

  it("importing every command file loads none of them", async () => {
    const loaded = await heavyModulesAfter(COMMANDS.map((c) => `./cli/commands/${c}.ts`));
    expect(loaded).to.deep.equal(Object.fromEntries(HEAVY.map((m) => [m, 0])));
  });

  it("would see them once loaded (the check itself works)", async () => {
    const loaded = await heavyModulesAfter(["@aws-sdk/client-rds", "mysql2/promise", "ioredis"]);
    for (const m of ["@aws-sdk", "mysql2", "ioredis"]) expect(loaded[m], m).to.be.greaterThan(0);
  });
});
