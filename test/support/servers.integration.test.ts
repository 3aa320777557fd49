import { expect } from "chai";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "./servers.ts";

describe("throwaway servers (test harness)", function () {
  this.timeout(60_000);
  let db: MariaDbServer;
  let redis: RedisServer;
  after(async () => {
    await db?.stop();
    await redis?.stop();
  });

  it("starts MariaDB, keeps its data across a crash", async () => {
    db = await startMariaDb();
    await db.sql("CREATE DATABASE t; CREATE TABLE t.x (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO t.x VALUES (1)");
    await db.kill();
    expect(db.running).to.equal(false);
    await db.start();
    expect((await db.sql("SELECT COUNT(*) FROM t.x")).trim()).to.equal("1");
  });

  it("starts Redis and restarts it on the same port", async () => {
    redis = await startRedis();
    const port = redis.port;
    await redis.kill();
    await redis.start();
    expect(redis.port).to.equal(port);
    expect(redis.running).to.equal(true);
  });
});
