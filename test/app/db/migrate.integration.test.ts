/** migrate(): applies every migration once, and two runs at the same time (two processes) do not race. */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { migrate } from "../../../app/db/migrate.ts";
import { SQLITE_FILE } from "../../../app/db/connect.ts";
import { migrations } from "../../../app/db/migrations.ts";
import { createDatabase, dropDatabase, SHARED_MARIADB } from "../support.ts";

const run = promisify(execFile);
const ALL = Object.keys(migrations("sqlite"));

/** `npm run migrate` as a separate process, as two servers starting together would run it. */
function migrateProcess(env: Record<string, string>) {
  return run(process.execPath, ["--import", "tsx", "app/migrate.ts"], { env: { ...process.env, ...env }, timeout: 90_000 });
}

/** n processes that call migrate() at the same instant (after their slow tsx start-up), to force the race. */
async function migrateTogether(n: number, env: Record<string, string>) {
  const startAt = String(Date.now() + 10_000);
  const worker = join(import.meta.dirname, "migrate-worker.ts");
  const runs = await Promise.all(
    Array.from({ length: n }, () => run(process.execPath, ["--import", "tsx", worker], { env: { ...process.env, ...env, START_AT: startAt }, timeout: 90_000 })),
  );
  return runs.map((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { applied: string[] });
}

describe("migrate()", function () {
  this.timeout(180_000); // several tsx processes starting at once on a busy box

  it("migrates an SQLite file once; four processes at once all succeed and apply each migration once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "scale-migrate-"));
    try {
      const results = await migrateTogether(4, { DATA_DIR: dir });
      expect(results.flatMap((r) => r.applied).sort()).to.deep.equal(ALL);
      const file = new Database(join(dir, SQLITE_FILE), { readonly: true });
      const names = file.prepare("select name from kysely_migration order by name").all() as Array<{ name: string }>;
      file.close();
      expect(names.map((n) => n.name)).to.deep.equal(ALL);
      expect(await migrate({ dataDir: dir })).to.deep.equal({ applied: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("holds the SQLite lock for the whole run: a second process waits instead of re-running a slow migration", async () => {
    for (const unlocked of [false, true]) {
      const dir = await mkdtemp(join(tmpdir(), "scale-migrate-slow-"));
      try {
        // The second process starts 300 ms into the first one's 800 ms migration.
        const worker = join(import.meta.dirname, "migrate-worker.ts");
        const env = { ...process.env, SLOW_SQLITE: dir, UNLOCKED: unlocked ? "1" : "0" };
        const startAt = Date.now() + 10_000;
        const runs = await Promise.all(
          [startAt, startAt + 300].map((at) =>
            run(process.execPath, ["--import", "tsx", worker], { env: { ...env, START_AT: String(at) }, timeout: 90_000 }),
          ),
        );
        const results = runs.map((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { applied?: string[]; error?: string });
        if (unlocked) {
          // kysely's stock adapter: the second run read "nothing applied" and ran the migration again.
          expect(results.some((r) => r.error), "the unlocked run should have raced").to.equal(true);
        } else {
          // Which process wins depends on start-up under load; exactly one applies it and the other finds it done.
          expect(results).to.have.deep.members([{ applied: ["0001_slow"] }, { applied: [] }]);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it("migrates MariaDB under GET_LOCK: concurrent runs apply each migration exactly once", async () => {
    const name = `app_migrate_${randomBytes(4).toString("hex")}`;
    await createDatabase(SHARED_MARIADB, name);
    try {
      const url = `${SHARED_MARIADB}/${name}`;
      const results = await Promise.all([migrate({ databaseUrl: url }), migrate({ databaseUrl: url }), migrate({ databaseUrl: url })]);
      expect(results.flatMap((r) => r.applied).sort()).to.deep.equal(ALL);
      const [c, d] = await Promise.all([migrateProcess({ DATABASE_URL: url }), migrateProcess({ DATABASE_URL: url })]);
      expect(c.stdout + d.stdout).to.not.contain("applied");
    } finally {
      await dropDatabase(SHARED_MARIADB, name);
    }
  });

  it("fails with a message naming the database when it cannot connect", async () => {
    let error: Error | undefined;
    await migrate({ databaseUrl: "mysql://root@127.0.0.1:1/nothing" }).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/migration .* failed|ECONNREFUSED/);
  });
});
