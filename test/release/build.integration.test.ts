/**
 * The release archive as a server gets it: unpacked in an empty folder and run with its own Node.js (the PATH has
 * none), on the embedded default and on MariaDB + Redis that require TLS, serving contract §2; a database whose
 * certificate is not from the configured CA is refused. The build is cached under .scale/ (CI builds it once).
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildRelease } from "../../release/build.ts";
import { NODE_MAJOR, NODE_RUNTIME } from "../../release/node-runtime.ts";
import { listEntries } from "../../release/tar.ts";
import { checkoutRelease, startReleased, unpackedRelease } from "../support/release.ts";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "../support/servers.ts";
import { makeTestCa, type TestCa } from "../support/tls.ts";
import { tempDir } from "../support/tmp.ts";

const run = promisify(execFile);

/** Contract §2's main path against a running service: sign up, log in, write, read (twice: cached), ready. */
async function exerciseContract(base: string): Promise<void> {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const username = `rel_${Date.now() % 1e6}`;
  expect((await post("/v1/users", { username, password: "correct-horse" })).status).to.equal(201);
  const login = await post("/v1/sessions", { username, password: "correct-horse" });
  expect(login.status).to.equal(201);
  const { token } = (await login.json()) as { token: string };
  const write = await post("/v1/items", { content: "from the release" }, { authorization: `Bearer ${token}` });
  expect(write.status).to.equal(201);
  const item = (await write.json()) as { id: string; version: number };
  const read = await fetch(`${base}/v1/items/${item.id}`);
  expect(read.status).to.equal(200);
  expect(read.headers.get("etag")).to.equal(`"${item.version}"`);
  expect(((await read.json()) as { content: string }).content).to.equal("from the release");
  expect((await fetch(`${base}/v1/items/${item.id}`)).headers.get("x-cache")).to.match(/^(l1|hit)$/);
  expect((await fetch(`${base}/readyz`)).status).to.equal(200);
  expect((await post("/v1/items", { content: "x" })).status).to.equal(401);
}

describe("release archive", function () {
  // The first build on a machine fetches Node and compiles better-sqlite3 (minutes on a busy box); later runs reuse it.
  this.timeout(20 * 60_000);
  let dir: string;

  before(async () => {
    ({ dir } = await unpackedRelease());
  });

  it("is content-addressed: building the same sources again returns the same archive without rebuilding it", async () => {
    const first = await checkoutRelease();
    const before = await stat(first.file);
    const again = await buildRelease({ root: process.cwd() });
    expect(again).to.deep.equal(first);
    expect((await stat(first.file)).mtimeMs).to.equal(before.mtimeMs);
    expect(first).to.include({ node: NODE_MAJOR });
    expect(first.file).to.match(new RegExp(`scale-app-${first.version}\\.tar\\.gz$`));
    const { stdout } = await run("sha256sum", [first.file]);
    expect(stdout.split(" ")[0]).to.equal(first.sha256);
  });

  it("holds the start scripts, the units, its own Node.js, compiled JavaScript and production packages only", async () => {
    const entries = await listEntries(dir);
    for (const file of ["bin/scale-app", "bin/scale-worker", "bin/scale-migrate", "bin/scale-boot", "deploy/scale-app.service", "deploy/scale-worker.service", "node/bin/node", "dist/app/main.js", "dist/app/worker/main.js", "dist/release/boot.js", "certs/rds-ca-bundle.pem", "node_modules/better-sqlite3/build/Release/better_sqlite3.node"]) {
      expect(entries, file).to.include(file);
    }
    expect(entries.filter((e) => e.endsWith(".ts") && !e.endsWith(".d.ts") && !e.startsWith("node_modules/"))).to.deep.equal([]);
    for (const dev of ["typescript", "tsx", "@pulumi/pulumi", "@oclif/core", "mocha", "node-gyp"]) expect(entries, dev).not.to.include(`node_modules/${dev}`);
    const { stdout } = await run(join(dir, "node", "bin", "node"), ["--version"]);
    expect(stdout.trim()).to.equal(`v${NODE_RUNTIME.version}`);
    expect((await stat(join(dir, "bin", "scale-app"))).mode & 0o777).to.equal(0o755);
    expect(await readFile(join(dir, "certs", "rds-ca-bundle.pem"), "utf8")).to.match(/^-----BEGIN CERTIFICATE-----/);
    expect(JSON.parse(await readFile(join(dir, "package.json"), "utf8"))).to.include({ type: "module" });
  });

  it("serves contract §2 on the embedded default, on the Node.js it ships", async () => {
    const app = startReleased(dir, "scale-app", { PORT: "0", DATA_DIR: tempDir("scale-release-data"), RATE_LIMIT_PER_MINUTE: "0" });
    try {
      const url = await app.listening;
      // The process is the shipped binary (the start script exec'd it), not the machine's Node.
      expect(await readlink(`/proc/${app.proc.pid}/exe`)).to.equal(join(dir, "node", "bin", "node"));
      await exerciseContract(url);
    } finally {
      await app.stop();
    }
    expect(await app.exited).to.equal(0);
  });

  describe("on MariaDB and Redis that require TLS", () => {
    let ca: TestCa;
    let db: MariaDbServer;
    let redis: RedisServer;
    let passwordFile: string;
    const appEnv = () => ({
      PORT: "0", RATE_LIMIT_PER_MINUTE: "0", MIGRATE_ON_START: "0",
      DATABASE_URL: `mysql://app@127.0.0.1:${db.port}/app`, DATABASE_PASSWORD_FILE: passwordFile,
      DATABASE_TLS: "verify", DATABASE_TLS_CA_FILE: ca.ca, REDIS_URL: redis.url, REDIS_TLS_CA_FILE: ca.ca,
    });

    before(async () => {
      ca = await makeTestCa();
      [db, redis] = await Promise.all([startMariaDb({ tls: ca }), startRedis({ tls: ca, password: "release-test-token" })]);
      passwordFile = join(tempDir("scale-release-secrets"), "database-password");
      await writeFile(passwordFile, "release-app-password-1\n", { mode: 0o400 });
    });
    after(async () => {
      await db?.stop();
      await redis?.stop();
    });

    it("creates the database and application user with the release's migration step, then serves contract §2", async () => {
      const migrate = await run(join(dir, "bin", "scale-migrate"), ["--json", "--admin-url", `mysql://root@127.0.0.1:${db.port}/`], {
        env: { PATH: "/nonexistent", DATABASE_URL: `mysql://app@127.0.0.1:${db.port}/app`, DATABASE_PASSWORD_FILE: passwordFile, DATABASE_TLS: "verify", DATABASE_TLS_CA_FILE: ca.ca },
      });
      expect(JSON.parse(migrate.stdout)).to.include({ database: "app", user: "app@%" });
      const app = startReleased(dir, "scale-app", appEnv());
      try {
        await exerciseContract(await app.listening);
      } finally {
        await app.stop();
      }
      expect(Number((await db.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")).split("\t")[1])).to.be.above(0);
    });

    it("refuses a database whose certificate is not from DATABASE_TLS_CA_FILE, and by default checks against the shipped RDS bundle", async () => {
      const wrong = startReleased(dir, "scale-app", { ...appEnv(), DATABASE_TLS_CA_FILE: ca.otherCa });
      expect(await wrong.exited).to.equal(1);
      expect(wrong.output()).to.match(/could not start: .*TLS: the server's certificate .*DATABASE_TLS_CA_FILE/);
      // No CA file: the release's certs/rds-ca-bundle.pem, which does not know the test CA.
      const { DATABASE_TLS_CA_FILE: _unused, ...rest } = appEnv();
      const rds = startReleased(dir, "scale-app", rest);
      expect(await rds.exited).to.equal(1);
      expect(rds.output()).to.match(/could not start: .*TLS: the server's certificate/);
    });
  });
});
