import { expect } from "chai";
import { startReplicaSet, type ReplicaSet } from "./replication.ts";

describe("replica set (test harness)", function () {
  this.timeout(90_000);
  let set: ReplicaSet;
  after(async () => {
    await set?.stop();
  });

  it("replicates from the primary, lags with the SQL thread stopped, and resumes after a crash", async () => {
    set = await startReplicaSet({ replicas: 1, database: "harness" });
    await set.primary.sql("CREATE TABLE harness.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO harness.t VALUES (1)");
    await set.waitCaughtUp(0);
    expect((await set.replica(0).sql("SELECT COUNT(*) FROM harness.t")).trim()).to.equal("1");

    await set.stopSqlThread(0);
    await set.primary.sql("INSERT INTO harness.t VALUES (2)");
    let failed = false;
    await set.waitCaughtUp(0, 1).catch(() => (failed = true));
    expect(failed, "a replica with its SQL thread stopped must not catch up").to.equal(true);
    expect((await set.replica(0).sql("SELECT COUNT(*) FROM harness.t")).trim()).to.equal("1");
    await set.startSqlThread(0);
    await set.waitCaughtUp(0);
    expect((await set.replica(0).sql("SELECT COUNT(*) FROM harness.t")).trim()).to.equal("2");

    await set.killReplica(0);
    await set.primary.sql("INSERT INTO harness.t VALUES (3)");
    await set.startReplica(0);
    await set.waitCaughtUp(0);
    expect((await set.replica(0).sql("SELECT COUNT(*) FROM harness.t")).trim()).to.equal("3");
  });

  it("refuses writes from an ordinary user on a replica (read-only)", async () => {
    await set.primary.sql("CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT ALL ON harness.* TO 'app'@'127.0.0.1'");
    await set.waitCaughtUp(0);
    const { execFile } = await import("node:child_process");
    const out = await new Promise<string>((resolve) =>
      execFile(
        "mariadb",
        ["--no-defaults", "-h127.0.0.1", `-P${set.replica(0).port}`, "-uapp", "-ppw", "-e", "INSERT INTO harness.t VALUES (9)"],
        (err, _stdout, stderr) => resolve(err ? stderr : "accepted"),
      ),
    );
    expect(out).to.match(/read-only/);
  });
});
