/**
 * 0 -> 1 on the AWS path against the fake engine, with the data move run for real between two throwaway MariaDB
 * servers (the box's and one standing in for RDS, driven through the replication port's CHANGE MASTER adapter) and
 * SSM mocked: expand with the stack's own URNs, the data move, the box switched by Run Command on the instances
 * tagged with the stack and tier, the new tier checked, then the edge. A failed switch falls back and --resume ends it.
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { mariadbReplication } from "../../../moves/replication.ts";
import { startMariaDb, type MariaDbServer } from "../../support/servers.ts";
import { provisionApp } from "../../app/support.ts";
import { json, scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner, fakeIdentity, planUrn } from "./fakes.ts";
import type { TransitionReport } from "../../../cli/lib/transition.ts";
import { tempDir } from "../../support/tmp.ts";

const RDS = planUrn("aws:rds/instance:Instance", "db");
const BOX = planUrn("aws:ec2/instance:Instance", "box-instance");
const CDN = planUrn("aws:cloudfront/distribution:Distribution", "cdn");
/** Under --json the error is the JSON document on stdout. */
const messageOf = (r: { message?: string; stdout: string }) => r.message ?? String((JSON.parse(r.stdout) as { error?: { message?: string } }).error?.message);
const own = (urn: string) => urn.replace("urn:pulumi:plan::", "urn:pulumi:dev::");

describe("scale stage up 0 -> 1 (AWS path, real data move, SSM mocked)", function () {
  this.timeout(120_000);
  let server: Server;
  let endpoint: string;
  let engine: FakeEngine;
  let planner: FakePlanner;
  let restore: () => void;
  let box: MariaDbServer;
  let rds: MariaDbServer;
  let auditPath: string;
  const ssm = new SSMClient({ region: "us-east-1" });
  const ssmMock = mockClient(ssm);
  const up = (...args: string[]) =>
    scale(["stage", "up", "--audit-log", auditPath, "--yes", "--json", "--param", `source=${box.url}/app`, "--param", "target=mysql://root@{databaseEndpoint}/app", ...args]);

  before(async () => {
    server = createServer((req, res) => res.writeHead(req.url === "/healthz" ? 200 : 404).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  beforeEach(async () => {
    auditPath = join(tempDir("scale-stage"), "audit.jsonl");
    [box, rds] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await provisionApp(box.url);
    await box.sql("INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'ada', 'x', 0)", "app");
    await box.sql("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) SELECT CONCAT('i-', seq), 'u1', 'hello', 1, 0, 0 FROM seq_1_to_300", "app");
    engine = new FakeEngine(0, { endpoint, databaseEndpoint: `127.0.0.1:${rds.port}` });
    engine.state[own(RDS)] = { address: "db-1.abc.us-east-1.rds.amazonaws.com", arn: "arn:aws:rds:us-east-1:123456789012:db:db-1" };
    planner = new FakePlanner();
    planner.changes = [
      { urn: RDS, type: "aws:rds/instance:Instance", action: "create", stateful: true, fields: [] },
      { urn: BOX, type: "aws:ec2/instance:Instance", action: "update", stateful: false, fields: ["userData"] },
      { urn: CDN, type: "aws:cloudfront/distribution:Distribution", action: "update", stateful: false, fields: ["origins"] },
    ];
    planner.runtime = [
      {
        tier: "box",
        env: {
          DATABASE_URL: { from: "template", template: "mysql://app@{host}:3306/app", parts: { host: { from: "output", urn: RDS, output: "address" } } },
          DATABASE_TLS: "verify",
        },
      },
    ];
    ssmMock.reset();
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: "i-0box", Status: "Success" }] });
    restore = useStageDeps({
      identity: fakeIdentity,
      engine: async () => engine,
      planner: async () => planner,
      ssm: async () => ssm,
      replication: async () => mariadbReplication,
      pollMs: 10,
      healthTimeoutMs: 300,
      healthIntervalMs: 20,
    });
  });
  afterEach(async () => {
    restore();
    await Promise.all([box?.stop(), rds?.stop()]);
  });

  it("expands with the stack's URNs, moves the data by replication, switches the box by SSM, then the edge", async () => {
    const run = await up();
    expect(run.exit, run.stdout + run.stderr).to.equal(0);
    const report = json<TransitionReport>(run);
    expect(report.steps.map((s) => s.id)).to.deep.equal(["check-move", "safety-check", "preview", "confirm", "expand", "move-data", "verify-new-tier", "up", "verify"]);
    expect(engine.calls.filter((c) => c.op === "up")).to.deep.equal([
      { op: "up", stage: 1, targets: [own(RDS), own(BOX)] },
      { op: "up", stage: 1 },
    ]);
    const sent = ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(sent).to.have.length(1);
    expect(sent[0]?.DocumentName).to.equal("AWS-RunShellScript");
    expect(sent[0]?.Targets).to.deep.equal([
      { Key: "tag:scale:stack", Values: ["dev"] },
      { Key: "tag:scale:tier", Values: ["box"] },
    ]);
    const script = (sent[0]?.Parameters?.commands ?? []).join("\n");
    expect(script).to.include("db-1.abc.us-east-1.rds.amazonaws.com").and.include("/etc/scale-app/runtime.json").and.include("scale-boot --tier box");
    expect(await rds.sql("SELECT COUNT(*) FROM items", "app")).to.equal("300\n");
    expect((await rds.sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'app'")).trim(), "the app's account came along").to.equal("1");
    expect((await box.sql("SELECT @@read_only")).trim()).to.equal("1");
    const detail = report.steps.find((s) => s.id === "move-data")?.detail as { writeUnavailableSeconds: number };
    expect(detail.writeUnavailableSeconds).to.be.a("number");
  });

  it("a switch that fails on the box leaves the box writable on its own MariaDB; --resume ends the move", async () => {
    ssmMock.reset();
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-2" } });
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({ CommandInvocations: [{ InstanceId: "i-0box", Status: "Failed", CommandPlugins: [{ Output: "scale-boot: Secrets Manager unreachable" }] }] })
      .resolves({ CommandInvocations: [{ InstanceId: "i-0box", Status: "Success" }] });
    const failed = await up();
    expect(failed.exit).to.equal(1);
    const message = messageOf(failed);
    expect(message).to.match(/step move-data: .*switch failed on i-0box \(Failed: scale-boot: Secrets Manager unreachable\)/);
    expect(message).to.include("scale stage up --resume --stack dev --param source=... --param target=...");
    expect(message).to.match(/State: RDS exists; the box still serves from its own MariaDB, writable/);
    expect((await box.sql("SELECT @@read_only")).trim()).to.equal("0");
    const records = readFileSync(auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.kind === "move.data.interrupted")).to.include({ step: "switch", serving: "source" });
    expect(records.at(-1)).to.include({ kind: "stage.transition", result: "interrupted", failedStep: "move-data" });
    expect(JSON.stringify(records)).not.to.match(/IDENTIFIED BY|password/i);

    await box.sql("INSERT INTO items VALUES ('late', 'u1', 'after the failed switch', 1, 0, 0)", "app");
    const resumed = await up("--resume");
    expect(resumed.exit, resumed.stdout + resumed.stderr).to.equal(0);
    expect(await rds.sql("SELECT content FROM items WHERE id = 'late'", "app")).to.equal("after the failed switch\n");
    expect(ssmMock.commandCalls(SendCommandCommand)).to.have.length(2);
  });

  it("--abort after an interrupted data move makes the box writable and drops what the seed made in RDS", async () => {
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: "i-0box", Status: "TimedOut" }] });
    expect((await up()).exit).to.equal(1);
    const aborted = await scale(["stage", "up", "--audit-log", auditPath, "--abort", "--json", "--param", `source=${box.url}/app`, "--param", "target=mysql://root@{databaseEndpoint}/app"]);
    expect(aborted.exit, aborted.stdout + aborted.stderr).to.equal(0);
    expect(json<TransitionReport>(aborted)).to.include({ result: "aborted", from: 0, to: 1 });
    expect(engine.stage).to.equal(0);
    expect((await rds.sql("SHOW DATABASES LIKE 'app'")).trim()).to.equal("");
    expect((await rds.sql("SHOW SLAVE STATUS")).trim()).to.equal("");
    expect((await box.sql("SELECT @@read_only")).trim()).to.equal("0");
  });
});
