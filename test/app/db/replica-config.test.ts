import { expect } from "chai";
import { z } from "zod";
import { replicaEnvShape, replicaRouterSettings } from "../../../app/db/replica-config.ts";

const schema = z.object(replicaEnvShape);

describe("replica router settings", () => {
  it("defaults to a 5 s lag bound, 1 s checks and a 50 ms GTID wait", () => {
    const env = schema.parse({});
    expect(replicaRouterSettings({ ...env, DATABASE_REPLICA_URLS: [] })).to.deep.equal({
      replicaUrls: [],
      maxLagSeconds: 5,
      checkIntervalMs: 1000,
      gtidWaitMs: 50,
    });
  });

  it("reads numbers from the environment's strings", () => {
    const env = schema.parse({ DATABASE_REPLICA_MAX_LAG_SECONDS: "2.5", DATABASE_REPLICA_GTID_WAIT_MS: "0" });
    expect(env.DATABASE_REPLICA_MAX_LAG_SECONDS).to.equal(2.5);
    expect(env.DATABASE_REPLICA_GTID_WAIT_MS).to.equal(0);
  });

  it("refuses bad values, naming the variable", () => {
    for (const [name, value] of [
      ["DATABASE_REPLICA_MAX_LAG_SECONDS", "soon"],
      ["DATABASE_REPLICA_MAX_LAG_SECONDS", "0"],
      ["DATABASE_REPLICA_CHECK_INTERVAL_MS", "10"],
      ["DATABASE_REPLICA_GTID_WAIT_MS", "1.5"],
      ["DATABASE_REPLICA_GTID_WAIT_MS", "60000"],
    ] as const) {
      const result = schema.safeParse({ [name]: value });
      expect(result.success, `${name}=${value}`).to.equal(false);
      expect(result.error?.issues[0]?.path).to.deep.equal([name]);
    }
  });
});
