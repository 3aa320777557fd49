import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { openAudit } from "../../../cli/lib/audit.ts";
import { json, scale } from "../run-scale.ts";
import { mockClient } from "aws-sdk-client-mock";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { FakeEngine, FakePlanner, planUrn, fakeIdentity } from "./fakes.ts";
import type { TransitionReport } from "../../../cli/lib/transition.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale stage up / down", () => {
  let server: Server;
  let endpoint: string;
  let healthStatus = 200;
  let engine: FakeEngine;
  let planner: FakePlanner;
  let auditPath: string;
  let restore: () => void;

  before(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === "/healthz" ? healthStatus : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  beforeEach(() => {
    healthStatus = 200;
    engine = new FakeEngine(2, { endpoint, databaseEndpoint: "db.internal" });
    planner = new FakePlanner();
    auditPath = join(tempDir("scale-stage"), "audit.jsonl");
    elbMock.reset();
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: { State: "healthy" } }] });
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => planner, elb: async () => elb, healthTimeoutMs: 300, healthIntervalMs: 20 });
  });
  afterEach(() => restore());
  const elb = new ElasticLoadBalancingV2Client({ region: "us-east-1" });
  const elbMock = mockClient(elb);

  const audit = () => (existsSync(auditPath) ? readFileSync(auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : []);
  const up = (...args: string[]) => scale(["stage", "up", "--audit-log", auditPath, ...args]);
  const down = (...args: string[]) => scale(["stage", "down", "--audit-log", auditPath, ...args]);

  it("promotes one stage: preview, update, health check through the endpoint, audit record", async () => {
    const run = await up("--yes", "--json");
    expect(run.exit, run.stdout).to.equal(0);
    const report = json<TransitionReport>(run);
    expect(report).to.deep.include({ from: 2, to: 3, result: "succeeded" });
    expect(report.steps.map((s) => s.id)).to.deep.equal(["check-move", "safety-check", "preview", "confirm", "up", "verify"]);
    expect(engine.calls.filter((c) => c.op !== "currentStage")).to.deep.equal([{ op: "preview", stage: 3 }, { op: "up", stage: 3 }]);
    expect(run.stderr).to.include("> verify");
    const last = audit().at(-1);
    expect(last).to.deep.include({ kind: "stage.transition", from: 2, to: 3, result: "succeeded" });
    expect(last).to.include.keys("who", "at");
  });

  it("refuses with exit 3 when the safety check finds a stateful resource deleted, before any preview", async () => {
    planner.violations = [{ urn: "urn:pulumi:dev::p::aws:rds/instance:Instance::db", type: "aws:rds/instance:Instance", rule: "stateful-deleted", message: "would be deleted with its data" }];
    const run = await up("--yes");
    expect(run.exit).to.equal(3);
    expect(run.message).to.match(/could lose data[\s\S]*aws:rds\/instance:Instance/);
    expect(engine.calls.map((c) => c.op)).to.deep.equal(["currentStage"]);
    expect(audit().at(-1)).to.deep.include({ result: "refused", failedStep: "safety-check" });
  });

  it("refuses with exit 3 without a terminal and without --yes, and puts the stage config back", async () => {
    const run = await up();
    expect(run.exit).to.equal(3);
    expect(run.message).to.match(/--yes/);
    expect(engine.calls.some((c) => c.op === "up")).to.equal(false);
    expect(engine.calls.at(-1)).to.deep.equal({ op: "setStage", stage: 2 });
  });

  it("exits 2 for a move that skips a stage or leaves the ladder", async () => {
    expect((await up("--to", "4", "--yes")).exit).to.equal(2);
    engine.stage = 5;
    const top = await up("--yes");
    expect(top.exit).to.equal(2);
    expect(top.message).to.match(/stage 6 does not exist/);
    engine.stage = 2;
    expect((await down("--to", "3", "--yes")).exit).to.equal(2);
  });

  it("fails with exit 1 naming the step and the state when the health check fails", async () => {
    healthStatus = 503;
    const run = await up("--yes");
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/step verify: .*healthz answered 503/);
    expect(run.message).to.match(/State: deployed at stage 3; not yet verified/);
  });

  it("fails with exit 1 when the update fails, saying nothing was verified", async () => {
    engine.failUp = true;
    const run = await up("--yes");
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/step up: .*quota exceeded/);
    expect(audit().at(-1)).to.deep.include({ result: "failed", failedStep: "up" });
    expect(run.message).not.to.include("--resume"); // nothing was written down to resume
  });

  it("going down from 3 detaches the app from replicas and cache, checks health, then removes them", async () => {
    engine.stage = 3;
    planner.changes = [
      { urn: planUrn("aws:ec2/launchTemplate:LaunchTemplate", "web"), type: "aws:ec2/launchTemplate:LaunchTemplate", action: "update", stateful: false, fields: ["userData"] },
      { urn: planUrn("aws:elasticache/replicationGroup:ReplicationGroup", "cache"), type: "aws:elasticache/replicationGroup:ReplicationGroup", action: "delete", stateful: false, fields: [] },
      { urn: planUrn("aws:rds/instance:Instance", "replica"), type: "aws:rds/instance:Instance", action: "delete", stateful: false, fields: [] },
    ];
    const run = await down("--yes", "--json");
    expect(run.exit, run.stdout).to.equal(0);
    const ups = engine.calls.filter((c) => c.op === "up");
    expect(ups).to.deep.equal([
      { op: "up", stage: 2, targets: ["urn:pulumi:dev::scale-to-millions::aws:ec2/launchTemplate:LaunchTemplate::web"] },
      { op: "up", stage: 2 },
    ]);
    expect(json<TransitionReport>(run).steps.map((s) => s.id)).to.deep.equal([
      "check-move", "safety-check", "preview", "confirm", "expand", "verify-new-tier", "switch-edge", "verify", "contract", "verify-contracted",
    ]);
  });

  it("with the stacks' real plans, 1 -> 2 applies everything but the box's removal, checks health, then retires the box", async function () {
    this.timeout(120_000);
    restore();
    const { stacksPlanner } = await import("../../../cli/lib/planner.ts");
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: stacksPlanner, elb: async () => elb, healthTimeoutMs: 300, healthIntervalMs: 20 });
    engine.stage = 1;
    const run = await up("--yes", "--json");
    expect(run.exit, run.stdout).to.equal(0);
    const ups = engine.calls.filter((c) => c.op === "up");
    expect(ups).to.have.length(3);
    expect(ups[0]?.targets?.length).to.be.greaterThan(0);
    expect(ups[0]?.targets?.every((u) => u.startsWith("urn:pulumi:dev::scale-to-millions::")), "the stack's own URNs").to.equal(true);
    expect(ups[0]?.targets?.some((u) => u.endsWith("::box-instance"))).to.equal(false);
    // The edge (DNS, CloudFront, listeners) waits until the new tier's targets are healthy.
    const edge = (u: string) => /aws:route53\/record:Record|aws:cloudfront\/distribution:Distribution|aws:lb\/listener(Rule)?:Listener/.test(u);
    expect(ups[0]?.targets?.some(edge)).to.equal(false);
    expect(ups[1]?.targets?.some(edge)).to.equal(true);
    expect(ups[2]?.targets).to.equal(undefined);
    expect(elbMock.commandCalls(DescribeTargetHealthCommand).length).to.be.greaterThan(0);
    // The box's data volume is protected (Pulumi would refuse to drop it) and retained: released after the health
    // check, right before the update that lets go of it.
    const ops = engine.calls.map((c) => c.op);
    expect(ops.indexOf("unprotect")).to.equal(ops.lastIndexOf("up") - 1);
    const released = engine.calls.find((c) => c.op === "unprotect")?.targets ?? [];
    expect(released.some((u) => u.startsWith("urn:") && u.includes("aws:ebs/volume:Volume"))).to.equal(true);
    expect(released.some((u) => u.endsWith("::box-instance"))).to.equal(false); // stateless: nothing to release
    expect(json<TransitionReport>(run).steps.map((s) => s.id)).to.deep.equal([
      "check-move", "safety-check", "preview", "confirm", "expand", "verify-new-tier", "switch-edge", "verify", "release-retained", "contract", "verify-contracted",
    ]);
  });

  it("0 -> 1 needs the data-move parameters (exit 2) before touching anything", async () => {
    engine.stage = 0;
    const run = await up("--yes");
    expect(run.exit).to.equal(2);
    expect(run.message).to.match(/--param source=\.\.\. --param target=\.\.\./);
    expect(engine.calls.map((c) => c.op)).to.deep.equal(["currentStage"]);
  });

  it("1 -> 0 is refused until the data has been brought back to the box", async () => {
    engine.stage = 1;
    const refused = await down("--yes");
    expect(refused.exit).to.equal(3);
    expect(refused.message).to.match(/direction=to-box/);
    // A reverse run recorded in the audit log lets it through.
    const sink = openAudit(auditPath, "tester");
    sink.record({ kind: "runbook.start", runId: "r1", runbook: "migrate-box-to-rds", dryRun: false, params: { direction: "to-box" } });
    sink.record({ kind: "runbook.end", runId: "r1", runbook: "migrate-box-to-rds", dryRun: false, result: "succeeded" });
    const run = await down("--yes");
    expect(run.exit, run.message).to.equal(0);
  });

  it("says how to install the Pulumi CLI when it is missing (exit 1)", async () => {
    restore();
    const { PulumiCliMissing } = await import("../../../cli/lib/engine.ts");
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => Promise.reject(new PulumiCliMissing()) });
    const run = await up("--yes");
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/Pulumi CLI is not installed[\s\S]*get\.pulumi\.com/);
  });
});
