/**
 * Credentials on a throwaway MariaDB. The migration step (app/migrate.ts, a release's bin/scale-migrate) run with
 * root's credentials creates the database and the application user with only row privileges, runs the migrations,
 * is idempotent, and sets a new password when run again with one. A running service connected as that user picks up
 * a password changed under it (ALTER USER, then the file rewritten) without a restart; until the file has the new
 * password its requests get 503 + Retry-After, not a 500 and not a hang.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../app/config.ts";
import { buildDeps, type Deps } from "../../app/wiring.ts";
import { createApp } from "../../app/app.ts";
import { migrations } from "../../app/db/migrations.ts";
import { startMariaDb, type MariaDbServer } from "../support/servers.ts";
import { tempDir } from "../support/tmp.ts";
import { createItem, expectProblem, json, newUser } from "./support.ts";
import { eventually } from "../support/eventually.ts";

const run = promisify(execFile);
const ALL = Object.keys(migrations("mysql"));

/** The migration step as a process; resolves with its exit code and output whatever the code. */
async function migrateStep(env: Record<string, string>, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "app/migrate.ts", ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("credentials: the application user and a rotated password", function () {
  this.timeout(120_000);
  let db: MariaDbServer;
  let passwordFile: string;
  let env: Record<string, string>;
  /** The mariadb client as the application user, with a given password; its output and error text. */
  const asApp = async (password: string, statement: string) =>
    run("mariadb", ["--no-defaults", "-h127.0.0.1", `-P${db.port}`, "-uapp", `-p${password}`, "-N", "-B", "appdb", "-e", statement]).then(
      (r) => r.stdout.trim(),
      (e: { stderr?: string }) => `ERROR ${e.stderr ?? ""}`,
    );

  before(async () => {
    db = await startMariaDb();
    passwordFile = join(tempDir("scale-credentials"), "db-password");
    await writeFile(passwordFile, "first-password-1\n");
    env = { DATABASE_URL: `mysql://app@127.0.0.1:${db.port}/appdb`, DATABASE_PASSWORD_FILE: passwordFile };
  });
  after(async () => db?.stop());

  it("creates the database and the user with row privileges only, migrates, and is idempotent", async () => {
    const first = await migrateStep(env, ["--admin-url", db.url, "--json"]);
    expect(first.code, first.stderr).to.equal(0);
    const result = JSON.parse(first.stdout) as { createdDatabase: boolean; createdUser: boolean; grants: string[]; applied: string[]; user: string };
    expect(result).to.include({ createdDatabase: true, createdUser: true, user: "app@%" });
    expect(result.applied).to.deep.equal(ALL);
    expect(result.grants).to.include("GRANT SELECT, INSERT, UPDATE, DELETE ON `appdb`.* TO `app`@`%`");
    expect(result.grants.join("\n")).to.not.match(/ALL PRIVILEGES|CREATE|DROP|ALTER|SUPER|GRANT OPTION/);
    expect(first.stdout + first.stderr).to.not.contain("first-password-1");

    const again = await migrateStep(env, ["--admin-url", db.url, "--json"]);
    expect(JSON.parse(again.stdout)).to.include({ createdDatabase: false, createdUser: false }).and.deep.include({ applied: [] });

    // What the service does works; changing the schema does not.
    expect(await asApp("first-password-1", "SELECT COUNT(*) FROM sessions")).to.equal("0");
    expect(await asApp("first-password-1", "SELECT @@gtid_binlog_pos IS NOT NULL, MASTER_GTID_WAIT('0-1-1', 0) IS NOT NULL")).to.equal("1\t1");
    expect(await asApp("first-password-1", "INSERT INTO replication_heartbeat VALUES (1, 1) ON DUPLICATE KEY UPDATE stamped_us = 2")).to.equal("");
    expect(await asApp("first-password-1", "CREATE TABLE x (a INT)")).to.match(/ERROR .*command denied/);
    expect(await asApp("first-password-1", "DROP TABLE items")).to.match(/ERROR .*command denied/);
  });

  it("sets the new password when run again with one", async () => {
    await writeFile(passwordFile, "second-password-2\n");
    const rotated = await migrateStep(env, ["--admin-url", db.url]);
    expect(rotated.code, rotated.stderr).to.equal(0);
    expect(rotated.stdout).to.contain("is up to date");
    expect(await asApp("second-password-2", "SELECT 1")).to.equal("1");
    expect(await asApp("first-password-1", "SELECT 1")).to.match(/ERROR .*Access denied/);
  });

  it("refuses unusable arguments with exit 2 and a message saying what to set", async () => {
    const cases: Array<[Record<string, string>, string[], RegExp]> = [
      [env, ["--admin-url", db.url, "--bogus"], /Unknown option '--bogus'/],
      [{ ...env, DATABASE_URL: `mysql://root@127.0.0.1:${db.port}/appdb` }, ["--admin-url", db.url], /the service needs a user of its own/],
      [{ ...env, DATABASE_URL: `mysql://app@127.0.0.1:${db.port}` }, ["--admin-url", db.url], /must name the application user and the database/],
      [{ DATABASE_URL: env.DATABASE_URL! }, ["--admin-url", db.url], /set DATABASE_PASSWORD_FILE/],
      [env, ["--admin-url", "postgres://x"], /DATABASE_ADMIN_URL: must be a URL/],
    ];
    for (const [e, args, says] of cases) {
      const res = await migrateStep({ ...e, DATABASE_PASSWORD_FILE: e.DATABASE_PASSWORD_FILE ?? "" }, args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).to.equal(2);
      expect(res.stderr).to.match(says);
    }
  });

  describe("under a running service", () => {
    let deps: Deps;
    before(async () => {
      deps = await buildDeps(loadConfig({ ...env, LOG_LEVEL: "silent", MIGRATE_ON_START: "0", RATE_LIMIT_PER_MINUTE: "0", DATABASE_POOL_SIZE: "3" }));
    });
    after(async () => deps?.close());

    /** End the service's connections on the server, and wait until its pool has noticed. */
    async function dropConnections() {
      await db.sql("SELECT GROUP_CONCAT(CONCAT('KILL CONNECTION ', id, ';') SEPARATOR ' ') FROM information_schema.processlist WHERE user = 'app'").then(async (kills) => {
        if (kills.trim() && kills.trim() !== "NULL") await db.sql(kills.trim());
      });
      const app = createApp(deps);
      await eventually("the pool to drop its closed connections", async () => {
        const metrics = await (await app.request("/metrics")).text();
        return /^db_pool_connections 0$/m.test(metrics) ? true : undefined;
      });
    }

    it("keeps serving after ALTER USER and the file rewritten, without a restart; a stale file gives 503s, then recovers", async () => {
      const app = createApp(deps);
      const u = await newUser(app);
      const item = await createItem(app, u.auth, "before rotation");

      await db.sql("ALTER USER 'app'@'%' IDENTIFIED BY 'third-password-3'");
      await writeFile(passwordFile, "third-password-3\n");
      await dropConnections(); // new connections must now log in with the new password
      expect((await app.request(`/v1/items/${item.id}`, { headers: u.auth })).status).to.equal(200);
      await createItem(app, u.auth, "after rotation");
      expect((await app.request("/v1/sessions", { method: "POST", ...json({ username: u.username, password: "correct-horse" }) })).status).to.equal(201);

      // The server has a newer password than the file: refused with 503 + Retry-After, at once.
      await db.sql("ALTER USER 'app'@'%' IDENTIFIED BY 'fourth-password-4'");
      await dropConnections();
      const refused = await app.request("/v1/items", { method: "POST", ...json({ content: "refused" }, u.auth) });
      await expectProblem(refused, 503);
      expect(refused.headers.get("retry-after")).to.match(/^\d+$/);
      await expectProblem(await app.request(`/v1/users/${u.id}/items`), 503);

      await writeFile(passwordFile, "fourth-password-4\n");
      const list = await app.request(`/v1/users/${u.id}/items`);
      expect(list.status).to.equal(200);
      expect(((await list.json()) as { items: Array<{ content: string }> }).items.map((i) => i.content)).to.deep.equal(["after rotation", "before rotation"]);
      expect((await app.request("/readyz")).status).to.equal(200);
    });
  });
});
