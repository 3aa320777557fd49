/**
 * The boot program on a server, with a temporary folder as `/`, a fake `systemctl` on PATH (it records its
 * arguments), Secrets Manager mocked, and real MariaDB: the stage-0 box creates its database and application user
 * and migrates; the write tier on "RDS" migrates as the master user from its secret, over TLS; each writes the env
 * file only its user can read and enables its unit. A wrong tier or an unreadable secret stops it with the reason.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { execFile } from "node:child_process";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { awsBackend } from "../../runtime/aws-backend.ts";
import { SERVER_PATHS } from "../../runtime/servers.ts";
import { tierRuntime, type RuntimeFacts, type TierProfile } from "../../runtime/settings.ts";
import type { TierRuntime } from "../../runtime/sources.ts";
import { bootServer, serverPaths } from "../../release/server-boot.ts";
import { unpackedRelease } from "../support/release.ts";
import { startMariaDb, type MariaDbServer } from "../support/servers.ts";
import { makeTestCa, type TestCa } from "../support/tls.ts";
import { tempDir } from "../support/tmp.ts";

const run = promisify(execFile);
const URN = (type: string, name: string) => `urn:pulumi:test::scale::${type}::${name}`;
const at = (urn: string, output: string, value: string) => ({ urn, output, value });

/** A `systemctl` that records its arguments, first on PATH. */
async function fakeSystemctl(): Promise<{ bin: string; calls: () => Promise<string[]> }> {
  const bin = tempDir("scale-fake-bin");
  const log = join(bin, "calls.log");
  await writeFile(join(bin, "systemctl"), `#!/bin/sh\necho "$*" >> ${log}\n`);
  await chmod(join(bin, "systemctl"), 0o755);
  return { bin, calls: async () => (await readFile(log, "utf8").catch(() => "")).trim().split("\n").filter(Boolean) };
}

async function writeRuntime(runtime: TierRuntime): Promise<string> {
  const file = join(tempDir("scale-boot-runtime"), "runtime.json");
  await writeFile(file, JSON.stringify(runtime));
  return file;
}

describe("boot program (bin/scale-boot)", function () {
  this.timeout(20 * 60_000); // the first run builds the release (cached afterwards)
  let releaseDir: string;
  let savedPath: string | undefined;
  const user = userInfo().username;

  before(async () => {
    ({ dir: releaseDir } = await unpackedRelease());
    savedPath = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  describe("the stage-0 box", () => {
    let db: MariaDbServer;
    before(async () => {
      db = await startMariaDb();
    });
    after(async () => db?.stop());

    it("generates the database password, creates the database and the application user, migrates, and enables the service", async () => {
      const facts: RuntimeFacts = { region: "eu-west-1", database: { kind: "box", endpoint: { host: at(URN("aws:ec2/instance:Instance", "box"), "privateIp", "127.0.0.1"), port: at(URN("aws:ec2/instance:Instance", "box"), "port", String(db.port)) } } };
      const runtime = tierRuntime({ tier: "box", proxyHops: 1, migrates: true }, facts, "server");
      // The box's admin is root over MariaDB's socket; the throwaway server's root is reached over TCP instead.
      runtime.migrate!.DATABASE_ADMIN_URL = `mysql://root@127.0.0.1:${db.port}/`;
      const runtimeFile = await writeRuntime(runtime);
      const root = tempDir("scale-boot-root");
      const systemctl = await fakeSystemctl();
      process.env.PATH = `${systemctl.bin}:${savedPath}`;
      const lines: string[] = [];
      const boot = () => bootServer({ tier: "box", runtimeFile, releaseDir, root, user, migrateAttempts: 1, backend: awsBackend({ region: "eu-west-1", generatedDir: serverPaths(root).generatedDir }), log: (l) => lines.push(l) });
      const result = await boot();

      const paths = serverPaths(root);
      expect(result).to.include({ tier: "box", unit: "scale-app.service", envFile: paths.envFile });
      expect(result.migrated).to.deep.include({ database: "app", user: "app@%" });
      const env = await readFile(paths.envFile, "utf8");
      expect((await stat(paths.envFile)).mode & 0o777).to.equal(0o600);
      expect((await stat(paths.envFile)).uid).to.equal(userInfo().uid);
      expect(env).to.contain(`DATABASE_URL="mysql://app@127.0.0.1:${db.port}/app"`).and.contain('HOST="0.0.0.0"').and.contain('TRUST_PROXY="1"');
      expect(env).not.to.contain("DATABASE_ADMIN");
      const passwordFile = join(paths.secretsDir, "database-password");
      expect(env).to.contain(`DATABASE_PASSWORD_FILE="${passwordFile}"`);
      expect((await stat(passwordFile)).mode & 0o777).to.equal(0o400);
      const password = await readFile(passwordFile, "utf8");
      expect(password).to.equal(await readFile(join(paths.generatedDir, "database-password"), "utf8"));
      expect(env + lines.join("\n")).not.to.contain(password);
      // The application user logs in with the generated password and sees the migrated schema.
      const { stdout } = await run("mariadb", ["--no-defaults", "-h127.0.0.1", `-P${db.port}`, "-uapp", `-p${password}`, "-N", "-e", "SHOW TABLES", "app"]);
      expect(stdout).to.contain("items").and.contain("users");
      expect(await readFile(join(paths.unitDir, "scale-app.service"), "utf8")).to.equal(await readFile(join(releaseDir, "deploy", "scale-app.service"), "utf8"));
      expect(await systemctl.calls()).to.deep.equal(["daemon-reload", "enable --now scale-app.service"]);

      // A second boot (a reboot, a new release) keeps the password and changes nothing else.
      await boot();
      expect(await readFile(passwordFile, "utf8")).to.equal(password);
      expect((await systemctl.calls()).length).to.equal(4);
    });

    it("runs as the release's compiled bin/scale-boot, and refuses bad usage with exit 2", async () => {
      const facts: RuntimeFacts = { region: "eu-west-1", database: { kind: "box", endpoint: { host: at(URN("aws:ec2/instance:Instance", "box"), "privateIp", "127.0.0.1"), port: at(URN("aws:ec2/instance:Instance", "box"), "port", String(db.port)) } } };
      const runtime = tierRuntime({ tier: "box", proxyHops: 1, migrates: true }, facts, "server");
      runtime.migrate!.DATABASE_ADMIN_URL = `mysql://root@127.0.0.1:${db.port}/`;
      const runtimeFile = await writeRuntime(runtime);
      const root = tempDir("scale-boot-root");
      const systemctl = await fakeSystemctl();
      const boot = join(releaseDir, "bin", "scale-boot");
      const env = { PATH: `${systemctl.bin}:/usr/bin:/bin` };
      const { stdout } = await run(boot, ["--tier", "box", "--runtime", runtimeFile, "--root", root, "--user", user], { env });
      expect(stdout).to.match(/scale-boot: the box tier runs scale-app\.service/);
      expect(await systemctl.calls()).to.deep.equal(["daemon-reload", "enable --now scale-app.service"]);
      for (const args of [[], ["--tier", "box"], ["--tier", "cache", "--runtime", runtimeFile], ["--bogus"]]) {
        const code = await run(boot, args, { env }).then(() => 0, (e: { code: number }) => e.code);
        expect(code, args.join(" ")).to.equal(2);
      }
      const failed = await run(boot, ["--tier", "read", "--runtime", runtimeFile, "--root", root, "--user", user], { env }).then(() => undefined, (e: { code: number; stderr: string }) => e);
      expect(failed?.code).to.equal(1);
      expect(failed?.stderr).to.match(/scale-boot: the runtime in .* is the box tier's, and this server boots as read/);
    });

    it("refuses a runtime written for another tier, before touching anything", async () => {
      const facts: RuntimeFacts = { region: "eu-west-1", database: { kind: "box", endpoint: { host: at("urn:a::b::c::d", "x", "127.0.0.1"), port: at("urn:a::b::c::d", "y", "3306") } } };
      const runtimeFile = await writeRuntime(tierRuntime({ tier: "read", proxyHops: 2, migrates: false }, facts, "server"));
      const root = tempDir("scale-boot-root");
      const err = await bootServer({ tier: "write", runtimeFile, releaseDir, root, user, backend: awsBackend({ region: "eu-west-1" }) }).catch((e: Error) => e);
      expect((err as Error).message).to.match(/the runtime in .* is the read tier's, and this server boots as write/);
      await stat(serverPaths(root).envFile).then(() => expect.fail("wrote an env file"), () => undefined);
    });
  });

  describe("the write tier on RDS (Secrets Manager mocked)", () => {
    let ca: TestCa;
    let db: MariaDbServer;
    const sm = mockClient(SecretsManagerClient);
    const appArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-password-AbCdEf";
    const masterArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf";
    before(async () => {
      ca = await makeTestCa();
      db = await startMariaDb({ tls: ca });
      await db.sql("CREATE USER app_admin@'%' IDENTIFIED BY 'master-pw-1'; GRANT ALL ON *.* TO app_admin@'%' WITH GRANT OPTION");
    });
    after(async () => {
      sm.restore();
      await db?.stop();
    });
    beforeEach(() => sm.reset());

    const runtimeFor = (profile: TierProfile) => {
      const rdsUrn = URN("aws:rds/instance:Instance", "db-primary");
      const facts: RuntimeFacts = {
        region: "eu-west-1",
        database: {
          kind: "rds", primary: { host: at(rdsUrn, "address", "127.0.0.1"), port: at(rdsUrn, "port", String(db.port)) }, replicas: [],
          appPassword: { urn: URN("aws:secretsmanager/secret:Secret", "db-app-password"), arn: appArn },
          master: { urn: rdsUrn, arn: masterArn, field: "password" },
        },
      };
      const runtime = tierRuntime(profile, facts, "server");
      // On AWS the release's RDS bundle checks RDS's certificate; the throwaway server's is from the test CA.
      runtime.env.DATABASE_TLS_CA_FILE = ca.ca;
      if (runtime.migrate) runtime.migrate.DATABASE_TLS_CA_FILE = ca.ca;
      return runtime;
    };

    it("reads its secrets, migrates as the master user over TLS, keeps the master password from the service's user", async () => {
      sm.on(GetSecretValueCommand, { SecretId: appArn }).resolves({ SecretString: "app-pw-from-secrets-manager" });
      sm.on(GetSecretValueCommand, { SecretId: masterArn }).resolves({ SecretString: JSON.stringify({ username: "app_admin", password: "master-pw-1" }) });
      const runtimeFile = await writeRuntime(runtimeFor({ tier: "write", proxyHops: 2, migrates: true }));
      const root = tempDir("scale-boot-root");
      const systemctl = await fakeSystemctl();
      process.env.PATH = `${systemctl.bin}:${savedPath}`;
      const result = await bootServer({ tier: "write", runtimeFile, releaseDir, root, user, migrateAttempts: 1, backend: awsBackend({ region: "eu-west-1" }) });

      const paths = serverPaths(root);
      expect(result.migrated).to.deep.include({ database: "app", user: "app@%" });
      const env = await readFile(paths.envFile, "utf8");
      expect(env).to.contain('DATABASE_TLS="verify"').and.not.contain("app-pw-from-secrets-manager").and.not.contain("master-pw-1");
      expect(await readFile(join(paths.secretsDir, "database-password"), "utf8")).to.equal("app-pw-from-secrets-manager");
      // The admin's password file is root's (no owner change) and not named in the service's environment.
      expect(await readFile(join(paths.secretsDir, "database-admin-password"), "utf8")).to.equal("master-pw-1");
      expect(env).not.to.contain("database-admin-password");
      const { stdout } = await run("mariadb", ["--no-defaults", `--socket=${join(db.dir, "mysqld.sock")}`, "-uroot", "-N", "-e", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'app'"]);
      expect(Number(stdout.trim())).to.be.above(3);
      expect(await systemctl.calls()).to.deep.equal(["daemon-reload", "enable --now scale-app.service"]);
    });

    it("stops with the setting and the reason when the role may not read a secret, writing no env file", async () => {
      sm.on(GetSecretValueCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException" }));
      const runtimeFile = await writeRuntime(runtimeFor({ tier: "read", proxyHops: 2, migrates: false }));
      const root = tempDir("scale-boot-root");
      const err = await bootServer({ tier: "read", runtimeFile, releaseDir, root, user, backend: awsBackend({ region: "eu-west-1" }) }).catch((e: Error) => e);
      expect((err as Error).message).to.match(/cannot resolve DATABASE_PASSWORD_FILE: cannot read the secret .*app-password.*: the instance role may not read it/);
      await stat(serverPaths(root).envFile).then(() => expect.fail("wrote an env file"), () => undefined);
    });
  });

  it("names SERVER_PATHS under a root prefix", () => {
    expect(serverPaths("/tmp/x").envFile).to.equal(join("/tmp/x", SERVER_PATHS.envFile));
    expect(serverPaths().envFile).to.equal(SERVER_PATHS.envFile);
  });
});
