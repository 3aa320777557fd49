import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, ConfigError } from "../../app/config.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("scale-config");
const file = join(dir, "readable.pem");
writeFileSync(file, "x");
const missing = join(dir, "missing-file");

describe("app config", () => {
  it("defaults to the embedded service on 127.0.0.1:8080", () => {
    const c = loadConfig({});
    expect(c).to.include({ HOST: "127.0.0.1", PORT: 8080, DATA_DIR: ".data", RATE_LIMIT_PER_MINUTE: 600 });
    expect(c.DATABASE_URL).to.equal(undefined);
    expect(c.DATABASE_REPLICA_URLS).to.deep.equal([]);
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it("parses replica lists and numbers", () => {
    const c = loadConfig({
      DATABASE_URL: "mysql://p:3306/x",
      DATABASE_REPLICA_URLS: "mysql://a:3306/x, mysql://b:3306/x",
      DATABASE_REPLICA_MAX_LAG_SECONDS: "2.5",
      PORT: "9000",
      RATE_LIMIT_PER_MINUTE: "0",
    });
    expect(c.DATABASE_REPLICA_URLS).to.have.length(2);
    expect(c).to.include({ PORT: 9000, RATE_LIMIT_PER_MINUTE: 0, DATABASE_REPLICA_MAX_LAG_SECONDS: 2.5 });
    expect(c).to.include({ DATABASE_REPLICA_CHECK_INTERVAL_MS: 1000, DATABASE_REPLICA_GTID_WAIT_MS: 50 });
  });

  it("refuses replicas without a primary, saying what to set", () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: "mysql://a:3306/x" })).to.throw(ConfigError, /DATABASE_REPLICA_URLS: replicas need a primary: set DATABASE_URL/);
  });

  it("reads TRUST_PROXY as a hop count, and the old true/false as 1/0", () => {
    expect(loadConfig({}).TRUST_PROXY).to.equal(0);
    expect(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).to.equal(1);
    expect(loadConfig({ TRUST_PROXY: "false" }).TRUST_PROXY).to.equal(0);
  });

  it("takes TLS and password files for the data tier", () => {
    const c = loadConfig({
      DATABASE_URL: "mysql://app@db:3306/app",
      DATABASE_PASSWORD_FILE: file,
      DATABASE_TLS: "verify",
      DATABASE_TLS_CA_FILE: file,
      REDIS_URL: "rediss://:token@cache:6379",
      REDIS_TLS_CA_FILE: file,
    });
    expect(c).to.include({ DATABASE_TLS: "verify", DATABASE_TLS_CA_FILE: file, DATABASE_PASSWORD_FILE: file, REDIS_TLS_CA_FILE: file });
    expect(loadConfig({}).DATABASE_TLS).to.equal("off");
  });

  for (const [env, name, says] of [
    [{ DATABASE_URL: "mysql://app@db/app", DATABASE_PASSWORD_FILE: missing }, "DATABASE_PASSWORD_FILE", "cannot read"],
    [{ DATABASE_URL: "mysql://app:pw@db/app", DATABASE_PASSWORD_FILE: file }, "DATABASE_PASSWORD_FILE", "no password"],
    [{ DATABASE_URL: "mysql://app@db/app", DATABASE_REPLICA_URLS: "mysql://app:pw@r/app", DATABASE_PASSWORD_FILE: file }, "DATABASE_PASSWORD_FILE", "no password"],
    [{ DATABASE_PASSWORD_FILE: file }, "DATABASE_PASSWORD_FILE", "needs DATABASE_URL"],
    [{ DATABASE_URL: "mysql://app@db/app", DATABASE_TLS: "on" }, "DATABASE_TLS", ""],
    [{ DATABASE_TLS: "verify" }, "DATABASE_TLS", "needs DATABASE_URL"],
    [{ DATABASE_URL: "mysql://app@db/app", DATABASE_TLS: "verify", DATABASE_TLS_CA_FILE: missing }, "DATABASE_TLS_CA_FILE", "cannot read"],
    [{ DATABASE_URL: "mysql://app@db/app", DATABASE_TLS_CA_FILE: file }, "DATABASE_TLS_CA_FILE", "DATABASE_TLS=verify"],
    [{ REDIS_URL: "redis://cache:6379", REDIS_TLS_CA_FILE: file }, "REDIS_TLS_CA_FILE", "rediss://"],
    [{ DATABASE_ADMIN_URL: "mysql://root:pw@db", DATABASE_ADMIN_PASSWORD_FILE: file }, "DATABASE_ADMIN_PASSWORD_FILE", "no password"],
    [{ TRUST_PROXY: "yes" }, "TRUST_PROXY", ""],
    [{ TRUST_PROXY: "11" }, "TRUST_PROXY", ""],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} naming ${name}, without echoing a password or a path`, () => {
      let message = "";
      try {
        loadConfig(env);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        message = (e as Error).message;
      }
      expect(message).to.contain(`${name}:`).and.contain(says);
      expect(message).to.not.contain(":pw@").and.not.contain(dir);
    });
  }

  for (const [name, value] of [
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["DATABASE_URL", "postgres://x/y"],
    ["REDIS_URL", "not a url"],
    ["DATABASE_REPLICA_URLS", "mysql://ok:3306/x,nope"],
    ["RATE_LIMIT_PER_MINUTE", "-1"],
    ["LOG_LEVEL", "loud"],
    ["ADMIN_TOKEN", "short"],
    ["DATABASE_REPLICA_MAX_LAG_SECONDS", "later"],
    ["DATABASE_REPLICA_GTID_WAIT_MS", "99999"],
    ["ADMISSION_MAX_IN_FLIGHT", "-1"],
    ["ADMISSION_MAX_LAG_MS", "soon"],
    ["ADMISSION_RETRY_AFTER_SECONDS", "0"],
  ] as const) {
    it(`refuses ${name}=${value} with a message naming ${name} and not echoing the value`, () => {
      const env = { [name]: value };
      expect(() => loadConfig(env)).to.throw(ConfigError, name);
      try {
        loadConfig(env);
      } catch (e) {
        if (value.length > 5) expect((e as Error).message).to.not.contain(value);
      }
    });
  }
});
