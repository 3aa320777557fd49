import { expect } from "chai";
import { loadConfig, ConfigError } from "../../app/config.ts";

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
