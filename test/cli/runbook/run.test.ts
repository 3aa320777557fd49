import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient, type AwsStub } from "aws-sdk-client-mock";
import {
  AutoScalingClient,
  UpdateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type AutoScalingClientResolvedConfig,
} from "@aws-sdk/client-auto-scaling";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { json, scale } from "../run-scale.ts";
import type { RunReport } from "../../../runbooks/lib/run.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale runbook", () => {
  let asg: AwsStub<ServiceInputTypes, ServiceOutputTypes, AutoScalingClientResolvedConfig>;
  let auditPath: string;
  let sts: ReturnType<typeof mockClient>;
  before(() => {
    asg = mockClient(AutoScalingClient);
    sts = mockClient(STSClient) as unknown as ReturnType<typeof mockClient>;
  });
  after(() => {
    asg.restore();
    sts.restore();
  });
  beforeEach(() => {
    asg.reset();
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/oncall" });
    auditPath = join(tempDir("scale-rb"), "audit.jsonl");
  });
  const tier = ["-p", "group=web", "-p", "min=2", "-p", "max=6", "-p", "desired=4"];

  it("list names every runbook and the alarms it answers", async () => {
    const { runbooks } = json<{ runbooks: { id: string; answersAlarms: string[] }[] }>(await scale(["runbook", "list", "--json"]));
    expect(runbooks.map((r) => r.id)).to.include.members(["db-snapshot", "db-failover", "replica-lag", "scale-tier", "drain-instance", "cache-flush", "cache-warm", "migrate-box-to-rds"]);
    const human = await scale(["runbook", "list"]);
    expect(human.stdout).to.match(/replica-lag .*rds-replica-lag/);
  });

  it("show prints the steps with what each verifies, its timeout and on-failure rule", async () => {
    const run = await scale(["runbook", "show", "scale-tier"]);
    expect(run.stdout).to.include("set-capacity").and.include("verifies:").and.include("on failure: abort");
    const shown = json<{ params: { name: string; pattern?: string }[] }>(await scale(["runbook", "show", "scale-tier", "--json"]));
    expect(shown.params.map((p) => p.name)).to.deep.equal(["group", "min", "max", "desired"]);
  });

  it("an unknown runbook exits 2 and lists the real ones", async () => {
    for (const cmd of [["runbook", "show", "nope"], ["runbook", "run", "nope"]]) {
      const run = await scale(cmd);
      expect(run.exit).to.equal(2);
      expect(run.message).to.match(/unknown runbook "nope".*db-snapshot/s);
    }
  });

  it("bad parameters exit 2 naming the parameter", async () => {
    const cases: [string[], RegExp][] = [
      [["-p", "group=web"], /needs --param min=/],
      [[...tier, "-p", "colour=blue"], /no parameter "colour"/],
      [["-p", "group=web", "-p", "min=two", "-p", "max=6", "-p", "desired=4"], /--param min: "two" does not match/],
      [["-p", "justtext"], /not key=value/],
    ];
    for (const [args, message] of cases) {
      const run = await scale(["runbook", "run", "scale-tier", "--audit-log", auditPath, ...args]);
      expect(run.exit, args.join(" ")).to.equal(2);
      expect(run.message).to.match(message);
    }
  });

  it("a destructive runbook without a terminal and without --yes exits 3 and calls nothing", async () => {
    const run = await scale(["runbook", "run", "scale-tier", "--audit-log", auditPath, ...tier]);
    expect(run.exit).to.equal(3);
    expect(run.message).to.match(/--yes/);
    expect(asg.calls()).to.have.length(0);
  });

  it("--dry-run prints the exact call and sends nothing that changes state", async () => {
    const run = await scale(["runbook", "run", "scale-tier", "--dry-run", "--audit-log", auditPath, ...tier]);
    expect(run.exit).to.equal(0);
    expect(run.stdout).to.include('would call autoscaling:UpdateAutoScalingGroup {"AutoScalingGroupName":"web","MinSize":2,"MaxSize":6,"DesiredCapacity":4}');
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)).to.have.length(0);
  });

  it("--yes runs it, returns one JSON report and writes each step to the audit log", async () => {
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: "web", MinSize: 2, MaxSize: 6, DesiredCapacity: 4, DefaultCooldown: 0, AvailabilityZones: [], HealthCheckType: "ELB", CreatedTime: new Date(),
          Instances: ["i-1", "i-2", "i-3", "i-4"].map((id) => ({ InstanceId: id, LifecycleState: "InService" as const, HealthStatus: "Healthy", AvailabilityZone: "a", ProtectedFromScaleIn: false })),
        },
      ],
    });
    const run = await scale(["runbook", "run", "scale-tier", "--yes", "--json", "--audit-log", auditPath, ...tier]);
    expect(run.exit, run.stdout).to.equal(0);
    const report = json<RunReport>(run);
    expect(report.result).to.equal("succeeded");
    expect(report.steps[1]?.outputs.healthy).to.have.length(4);
    const kinds = readFileSync(auditPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).kind);
    // scale-tier changes the group behind Pulumi's back: the override is recorded for `stage status`.
    expect(kinds).to.deep.equal(["runbook.start", "runbook.step", "runbook.step", "stack.override", "runbook.end"]);
  });

  it("under --json a failed run prints one JSON report and still exits 1", async () => {
    asg.on(UpdateAutoScalingGroupCommand).rejects(new Error("Throttling: rate exceeded"));
    const run = await scale(["runbook", "run", "scale-tier", "--yes", "--json", "--audit-log", auditPath, ...tier]);
    expect(run.exit).to.equal(1);
    expect(json<RunReport>(run)).to.deep.include({ result: "failed", failedStep: "set-capacity" });
  });

  it("a failed step exits 1 naming the step and what was done before it", async () => {
    asg.on(UpdateAutoScalingGroupCommand).rejects(new Error("AccessDenied: not authorized to perform UpdateAutoScalingGroup"));
    const run = await scale(["runbook", "run", "scale-tier", "--yes", "--audit-log", auditPath, ...tier]);
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/failed at step set-capacity: AccessDenied.*Done before it: nothing/s);
  });
});

describe("scale runbook list --alarm", () => {
  it("names the runbooks for an alarm id, or for an alarm's physical name", async () => {
    for (const alarm of ["rds-replica-lag", "prod-rds-replica-lag-9f8e7d"]) {
      const { runbooks } = json<{ runbooks: { id: string }[] }>(await scale(["runbook", "list", "--alarm", alarm, "--json"]));
      expect(runbooks.map((r) => r.id), alarm).to.deep.equal(["replica-lag"]);
    }
  });

  it("an unknown alarm exits 2 listing the real ones", async () => {
    const run = await scale(["runbook", "list", "--alarm", "disk-on-fire"]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("rds-replica-lag");
  });
});
