import { expect } from "chai";
import { createServer, type Server } from "node:net";
import { mockClient, type AwsStub } from "aws-sdk-client-mock";
import {
  RDSClient,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type RDSClientResolvedConfig,
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBInstancesCommand,
  RebootDBInstanceCommand,
  PromoteReadReplicaCommand,
  ModifyDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { dbSnapshot } from "../../runbooks/db-snapshot.ts";
import { dbFailover } from "../../runbooks/db-failover.ts";
import { dbResize } from "../../runbooks/db-resize.ts";
import { runForTest } from "./helpers.ts";

describe("database runbooks", () => {
// One stub per client class at a time: created in before(), restored in after(), so files do not fight over it.
let rds: AwsStub<ServiceInputTypes, ServiceOutputTypes, RDSClientResolvedConfig>;
before(() => (rds = mockClient(RDSClient)));
after(() => rds.restore());
afterEach(() => rds.reset());

describe("runbook db-snapshot", () => {
  it("creates the snapshot, waits for it to be available and audits each step", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [{ Status: "creating" }] })
      .resolvesOnce({ DBSnapshots: [{ Status: "creating", PercentProgress: 40 }] })
      .resolves({ DBSnapshots: [{ Status: "available", PercentProgress: 100 }] });
    const { report, audit } = await runForTest(dbSnapshot, { instance: "app-db", snapshot: "before-move" });
    expect(report.result).to.equal("succeeded");
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).to.deep.equal({
      DBInstanceIdentifier: "app-db",
      DBSnapshotIdentifier: "before-move",
    });
    expect(report.steps[1]?.outputs.status).to.equal("available");
    const steps = audit.filter((e) => e.kind === "runbook.step");
    expect(steps.map((e) => e.step)).to.deep.equal(["create-snapshot", "verify-snapshot"]);
    expect(steps[0]).to.include.keys("inputs", "calls", "outputs", "durationMs", "startedAt", "who");
  });

  it("fails the verify step when the snapshot fails", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds.on(DescribeDBSnapshotsCommand).resolvesOnce({ DBSnapshots: [{ Status: "creating" }] }).resolves({ DBSnapshots: [{ Status: "failed" }] });
    const { report } = await runForTest(dbSnapshot, { instance: "app-db" });
    expect(report.result).to.equal("failed");
    expect(report.failedStep).to.equal("verify-snapshot");
    expect(report.steps[1]?.error).to.match(/is failed/);
  });

  it("times out a step that never verifies", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: "creating" }] });
    const { report } = await runForTest(dbSnapshot, { instance: "app-db" }, { maxStepTimeoutMs: 200 });
    expect(report.failedStep).to.equal("verify-snapshot");
    expect(report.steps[1]?.error).to.match(/timed out/);
  });

  it("--dry-run records the create call without sending it", async () => {
    const { report } = await runForTest(dbSnapshot, { instance: "app-db", snapshot: "s1" }, { dryRun: true });
    expect(report.result).to.equal("planned");
    expect(rds.commandCalls(CreateDBSnapshotCommand)).to.have.length(0);
    expect(report.steps[0]?.calls).to.deep.equal([
      { service: "rds", action: "CreateDBSnapshot", input: { DBInstanceIdentifier: "app-db", DBSnapshotIdentifier: "s1" }, executed: false },
    ]);
  });
});

describe("runbook db-failover", () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it("reboots a Multi-AZ primary with failover and checks the endpoint answers", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ MultiAZ: true, DBInstanceStatus: "available", Endpoint: { Address: "127.0.0.1", Port: port } }],
    });
    rds.on(RebootDBInstanceCommand).resolves({});
    const { report } = await runForTest(dbFailover, { instance: "app-db" });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(rds.commandCalls(RebootDBInstanceCommand)[0]?.args[0].input).to.deep.equal({ DBInstanceIdentifier: "app-db", ForceFailover: true });
    expect(rds.commandCalls(PromoteReadReplicaCommand)).to.have.length(0);
  });

  it("promotes the named replica when the primary is single-AZ", async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "app-db" }).resolves({
      DBInstances: [{ MultiAZ: false, ReadReplicaDBInstanceIdentifiers: ["app-db-replica-1"] }],
    });
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "app-db-replica-1" })
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: "modifying", ReadReplicaSourceDBInstanceIdentifier: "app-db" }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: "available", Endpoint: { Address: "127.0.0.1", Port: port } }] });
    rds.on(PromoteReadReplicaCommand).resolves({});
    const { report } = await runForTest(dbFailover, { instance: "app-db", replica: "app-db-replica-1" });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[2]?.outputs.next).to.match(/DATABASE_URL/);
  });

  it("aborts before touching anything when a single-AZ primary has no replica named", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ MultiAZ: false, ReadReplicaDBInstanceIdentifiers: [] }] });
    const { report } = await runForTest(dbFailover, { instance: "app-db" });
    expect(report.failedStep).to.equal("inspect");
    expect(report.steps.slice(1).map((s) => s.status)).to.deep.equal(["skipped", "skipped"]);
    expect(rds.commandCalls(RebootDBInstanceCommand)).to.have.length(0);
  });

  it("fails when the endpoint does not answer", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ MultiAZ: true, DBInstanceStatus: "available", Endpoint: { Address: "127.0.0.1", Port: 1 } }],
    });
    rds.on(RebootDBInstanceCommand).resolves({});
    const { report } = await runForTest(dbFailover, { instance: "app-db" }, { maxStepTimeoutMs: 300 });
    expect(report.failedStep).to.equal("verify-endpoint");
  });
});

describe("runbook db-resize", () => {
  it("modifies class and storage immediately and waits until both show", async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: "modifying", DBInstanceClass: "db.t3.medium", AllocatedStorage: 50 }] })
      .resolvesOnce({ DBInstances: [{ DBInstanceStatus: "available", DBInstanceClass: "db.r6g.large", AllocatedStorage: 50 }] })
      .resolves({ DBInstances: [{ DBInstanceStatus: "available", DBInstanceClass: "db.r6g.large", AllocatedStorage: 100 }] });
    const { report } = await runForTest(dbResize, { instance: "app-db", "instance-class": "db.r6g.large", "storage-gb": "100" });
    expect(report.result).to.equal("succeeded");
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]?.args[0].input).to.deep.equal({
      DBInstanceIdentifier: "app-db",
      ApplyImmediately: true,
      DBInstanceClass: "db.r6g.large",
      AllocatedStorage: 100,
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)).to.have.length(3);
  });

  it("refuses a run without a class or storage to change before any step, calling nothing", async () => {
    let error: Error | undefined;
    await runForTest(dbResize, { instance: "app-db" }).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/instance-class=.*storage-gb=/);
    expect(rds.calls()).to.have.length(0);
  });
});
});
