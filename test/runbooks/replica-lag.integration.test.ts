import { expect } from "chai";
import { createConnection, type Connection } from "mysql2/promise";
import { mockClient } from "aws-sdk-client-mock";
import { RDSClient, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { replicaLag } from "../../runbooks/replica-lag.ts";
import { runForTest } from "./helpers.ts";

// Lag comes from (mocked) CloudWatch; long queries are read from a real MariaDB (the shared one on 3306).
describe("runbook replica-lag", () => {
  let rds: ReturnType<typeof mockClient>;
  let cw: ReturnType<typeof mockClient>;
  let sleeper: Connection;
  let sleeping: Promise<unknown>;
  before(async () => {
    rds = mockClient(RDSClient) as unknown as ReturnType<typeof mockClient>;
    cw = mockClient(CloudWatchClient) as unknown as ReturnType<typeof mockClient>;
    sleeper = await createConnection({ uri: "mysql://root@127.0.0.1:3306" });
    sleeping = sleeper.query("SELECT SLEEP(4) AS cli_replica_lag_test").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1200));
  });
  after(async () => {
    rds.restore();
    cw.restore();
    await sleeping;
    await sleeper.end();
  });

  it("reports lag per replica, the long query holding a replica back, and advice", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ReadReplicaDBInstanceIdentifiers: ["db-r1", "db-r2"] }] } as never);
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "r0", Values: [1, 2, 0] },
        { Id: "r1", Values: [45, 120, 80] },
      ],
    } as never);
    const { report } = await runForTest(replicaLag, {
      instance: "app-db",
      "database-url": "mysql://root@127.0.0.1:3306",
      "long-query-seconds": "1",
    });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[0]?.outputs.lagSeconds).to.deep.equal({ "db-r1": 2, "db-r2": 120 });
    const queries = report.steps[1]?.outputs.longQueries as { query: string }[];
    expect(queries.some((q) => q.query.includes("cli_replica_lag_test"))).to.equal(true);
    expect(report.steps[2]?.outputs.lagging).to.deep.equal(["db-r2"]);
    expect((report.steps[2]?.outputs.advice as string[]).join(" ")).to.match(/long queries/);
  });

  it("fails the lag step when a replica reports no data (replication may be stopped)", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ ReadReplicaDBInstanceIdentifiers: ["db-r1"] }] } as never);
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "r0", Values: [] }] } as never);
    const { report } = await runForTest(replicaLag, { instance: "app-db" });
    expect(report.failedStep).to.equal("lag-per-replica");
    expect(report.steps[0]?.error).to.match(/no ReplicaLag data for db-r1/);
  });
});
