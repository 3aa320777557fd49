import { expect } from "chai";
import { planJson } from "../../cli/lib/plan-format.ts";
import { OFFLINE_PASSWORD } from "../../stacks/mocks.ts";
import type { Plan } from "../../stacks/plan.ts";
import { bootUserData } from "../../stacks/user-data.ts";
import { secretArnsOf } from "../../runtime/settings.ts";
import { parseTierRuntime, type RuntimeValue, type TierRuntime } from "../../runtime/sources.ts";
import { allPlans, find } from "./support/plans.ts";

/** Every placeholder the offline plan stands in for a secret with: none may show anywhere in a plan. */
const PLACEHOLDERS = ["offline-plan-placeholder-secret", OFFLINE_PASSWORD];

/** The plan as `stage plan --json` prints it, with every user data decoded (launch templates hold it in base64). */
function everythingPrinted(plan: Plan): string {
  const userData = plan.resources.flatMap((r) => {
    const data = r.inputs.userData;
    if (typeof data !== "string") return [];
    return r.type === "aws:ec2/launchTemplate:LaunchTemplate" ? [Buffer.from(data, "base64").toString()] : [data];
  });
  return [JSON.stringify(planJson(plan)), ...userData].join("\n");
}

/** The runtime a server's user data carries. */
function userDataRuntime(script: string): TierRuntime {
  const match = /<<'RUNTIME'\n(.*)\nRUNTIME\n/s.exec(script);
  if (!match) throw new Error("no runtime in the user data");
  return parseTierRuntime(match[1]!);
}

function serverUserData(plan: Plan, tier: string): string {
  if (tier === "box") return String(find(plan, "aws:ec2/instance:Instance", "box-instance").inputs.userData);
  return Buffer.from(String(find(plan, "aws:ec2/launchTemplate:LaunchTemplate", `${tier}-template`).inputs.userData), "base64").toString();
}

function values(v: RuntimeValue): RuntimeValue[] {
  if (typeof v === "string") return [v];
  if (v.from === "template") return [v, ...Object.values(v.parts).flatMap(values)];
  if (v.from === "file") return [v, ...values(v.content)];
  return [v];
}
const allValues = (r: TierRuntime) => [...Object.values(r.env), ...Object.values(r.migrate ?? {})].flatMap(values);

describe("stacks: each compute tier's runtime, from the runtime contract", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  it("has one runtime per compute tier of every stage", () => {
    expect(plans.map((p) => p.runtime.map((r) => r.tier))).to.deep.equal([
      ["box"], ["box"], ["read", "write"], ["read", "write"], ["read", "write"], ["read", "write", "worker"],
    ]);
  });

  it("serves on 0.0.0.0:8080, trusting the hops in front: 1 (CloudFront) on the box, 2 (CloudFront + ALB) on the tiers", () => {
    for (const plan of plans) {
      for (const r of plan.runtime) {
        if (r.tier === "worker") {
          expect(r.env, "the worker serves no HTTP").not.to.have.any.keys("HOST", "PORT", "TRUST_PROXY");
          continue;
        }
        expect(r.env).to.include({ HOST: "0.0.0.0", PORT: "8080", TRUST_PROXY: r.tier === "box" ? "1" : "2", MIGRATE_ON_START: "0", AWS_REGION: "us-east-1" });
      }
    }
  });

  it("uses the box's own MariaDB without TLS at stage 0, RDS with TLS verified from stage 1, Redis over TLS from stage 3", () => {
    const box0 = plans[0]!.runtime[0]!;
    expect(box0.env.DATABASE_TLS).to.equal("off");
    expect(box0.env.DATABASE_PASSWORD_FILE).to.deep.equal({ from: "file", name: "database-password", content: { from: "generated", name: "database-password" } });
    for (const plan of plans.slice(1)) {
      for (const r of plan.runtime) {
        expect(r.env.DATABASE_TLS, `stage ${plan.stage} ${r.tier}`).to.equal("verify");
        expect(r.env.DATABASE_PASSWORD_FILE).to.deep.include({ from: "file", content: { from: "secret", urn: find(plan, "aws:secretsmanager/secret:Secret", "db-app-password").urn } });
        if (plan.stage < 3) expect(r.env.REDIS_URL).to.equal(undefined);
        else expect(r.env.REDIS_URL).to.deep.include({ template: "rediss://:{token}@{host}:{port}" });
      }
    }
  });

  it("gives the RDS master secret to the migration step only, on the tier that runs it", () => {
    const master = find(plans[3]!, "aws:rds/instance:Instance", "db-primary").urn;
    for (const plan of plans.slice(1)) {
      for (const r of plan.runtime) {
        const inEnv = Object.values(r.env).flatMap(values).some((v) => typeof v !== "string" && v.from === "secret" && v.field === "password");
        expect(inEnv, `the ${r.tier} service's environment`).to.equal(false);
        expect(r.migrate !== undefined, `${r.tier} migrates`).to.equal(r.tier === "box" || r.tier === "write");
      }
    }
    expect(plans[3]!.runtime.find((r) => r.tier === "write")!.migrate!.DATABASE_ADMIN_PASSWORD_FILE).to.deep.equal({
      from: "file", name: "database-admin-password", content: { from: "secret", urn: master, field: "password" },
    });
  });

  it("names only resources the plan has (the local stages map each URN's type to a stand-in)", () => {
    for (const plan of plans) {
      const urns = new Set(plan.resources.map((r) => r.urn));
      for (const r of plan.runtime) {
        for (const v of allValues(r)) {
          if (typeof v !== "string" && (v.from === "output" || v.from === "secret")) expect(urns.has(v.urn), `${plan.stage} ${r.tier} ${v.urn}`).to.equal(true);
        }
      }
    }
  });

  it("never shows a secret's value: not in any stage's JSON, not in any user data", () => {
    for (const plan of plans) {
      const printed = everythingPrinted(plan);
      for (const placeholder of PLACEHOLDERS) expect(printed.includes(placeholder), `stage ${plan.stage} shows ${placeholder}`).to.equal(false);
    }
    // The scan can fail: a runtime that carried a value would be caught.
    const leaky = structuredClone(plans[3]!);
    leaky.runtime[0]!.env.REDIS_URL = `rediss://:${PLACEHOLDERS[0]}@cache:6379`;
    expect(everythingPrinted(leaky)).to.include(PLACEHOLDERS[0]);
    const leakyUserData = structuredClone(plans[2]!);
    const template = find(leakyUserData, "aws:ec2/launchTemplate:LaunchTemplate", "read-template");
    template.inputs.userData = Buffer.from(`echo ${OFFLINE_PASSWORD}`).toString("base64");
    expect(everythingPrinted(leakyUserData)).to.include(OFFLINE_PASSWORD);
  });

  it("writes each server's runtime into its user data with outputs concrete and secrets as ARNs", () => {
    for (const plan of plans) {
      for (const planned of plan.runtime) {
        const server = userDataRuntime(serverUserData(plan, planned.tier));
        expect(server.tier).to.equal(planned.tier);
        expect(Object.keys(server.env)).to.deep.equal(Object.keys(planned.env));
        for (const v of allValues(server)) {
          if (typeof v === "string") continue;
          expect(v.from, `stage ${plan.stage} ${planned.tier}: outputs are concrete`).not.to.equal("output");
          if (v.from === "secret") expect(v.arn, `stage ${plan.stage} ${planned.tier}: ${v.urn}`).to.match(/^arn:aws:secretsmanager:/);
        }
      }
    }
  });

  it("lets each tier's role read exactly the secrets its runtime names", () => {
    for (const plan of plans) {
      for (const planned of plan.runtime) {
        const role = find(plan, "aws:iam/rolePolicy:RolePolicy", `${planned.tier}-access`);
        const statements = (JSON.parse(String(role.inputs.policy)) as { Statement: { Action: string[]; Resource: string[] }[] }).Statement;
        const granted = statements.find((s) => s.Action.includes("secretsmanager:GetSecretValue"))?.Resource ?? [];
        expect(granted.sort(), `stage ${plan.stage} ${planned.tier}`).to.deep.equal(secretArnsOf(userDataRuntime(serverUserData(plan, planned.tier))).sort());
      }
    }
    const read = find(plans[3]!, "aws:iam/rolePolicy:RolePolicy", "read-access").inputs.policy;
    expect(String(read)).not.to.include("secret:rds-db-primary");
    expect(String(find(plans[3]!, "aws:iam/rolePolicy:RolePolicy", "write-access").inputs.policy)).to.include("secret:rds-db-primary");
  });

  it("fetches the named release, checks its sha256 before unpacking, and hands over to its boot program", () => {
    const script = serverUserData(plans[2]!, "read");
    const steps = ["aws s3 cp --region 'us-east-1' --only-show-errors 's3://example-scale-artifacts/releases/scale-app-0.1.0-example.tar.gz'",
      "sha256sum --check --strict", "tar -xzf /var/tmp/scale-app-0.1.0-example.tar.gz -C /opt/scale-app/releases/0.1.0-example",
      "ln -sfn /opt/scale-app/releases/0.1.0-example /opt/scale-app/current",
      "exec /opt/scale-app/current/bin/scale-boot --tier read --runtime /etc/scale-app/runtime.json"];
    const at = steps.map((s) => script.indexOf(s));
    expect(at.every((i) => i >= 0), script).to.equal(true);
    expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
    expect(script).to.include("echo 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /var/tmp/scale-app-0.1.0-example.tar.gz'");
    for (const tier of ["read-asg", "write-asg"]) {
      expect(find(plans[2]!, "aws:autoscaling/group:Group", tier).inputs.tags).to.deep.include({ key: "scale:release", value: "0.1.0-example", propagateAtLaunch: true });
    }
  });

  it("refuses user data EC2 would not take (over 16 KB)", () => {
    const runtime: TierRuntime = { tier: "read", env: { BIG: "x".repeat(17_000) } };
    const release = { version: "1", bucket: "b", key: "scale-app-1.tar.gz", sha256: "0".repeat(64) };
    expect(() => bootUserData({ release, region: "us-east-1", runtime })).to.throw(/read tier's user data is \d+ bytes; EC2 takes at most 16384/);
  });

  it("names physical resources after the stack, so two stacks in one account never collide", () => {
    const p = plans[5]!;
    expect(find(p, "aws:rds/instance:Instance", "db-primary").inputs).to.include({ identifier: "plan-db-primary", finalSnapshotIdentifier: "plan-db-primary-final", engine: "mariadb", engineVersion: "10.11", applyImmediately: true });
    expect(find(p, "aws:rds/parameterGroup:ParameterGroup").inputs.family).to.equal("mariadb10.11");
    expect(find(p, "aws:elasticache/replicationGroup:ReplicationGroup").inputs.replicationGroupId).to.equal("plan-cache");
    expect(find(p, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName).to.equal("plan-overview");
  });

  it("publishes the group metrics backlog scaling reads, names the launch template version, alarms per cache node", () => {
    const p = plans[5]!;
    const worker = find(p, "aws:autoscaling/group:Group", "worker-asg");
    expect(worker.inputs.enabledMetrics).to.include("GroupInServiceInstances");
    expect(worker.inputs.launchTemplate).to.deep.equal({ id: "worker-template-id", version: "1" });
    const cacheAlarms = p.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.namespace === "AWS/ElastiCache");
    expect(cacheAlarms.map((a) => (a.inputs.dimensions as Record<string, string>).CacheClusterId).sort()).to.deep.equal(["plan-cache-001", "plan-cache-001", "plan-cache-002", "plan-cache-002"]);
  });

  it("keeps the ALB's access logs in a log bucket of its own, and the ALB protected from deletion", () => {
    const p = plans[2]!;
    const alb = find(p, "aws:lb/loadBalancer:LoadBalancer");
    expect(alb.inputs).to.include({ enableDeletionProtection: true });
    expect(alb.inputs.accessLogs).to.deep.equal({ bucket: "alb-logs-mock", prefix: "alb", enabled: true });
    expect(find(p, "aws:s3/bucket:Bucket", "alb-logs-bucket")).to.include({ protect: true, retainOnDelete: true });
    expect(String(find(p, "aws:s3/bucketPolicy:BucketPolicy", "alb-logs-policy").inputs.policy)).to.include('"Principal":{"AWS":"arn:aws:iam::127311923021:root"}');
  });
});
