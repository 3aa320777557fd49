import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ssmSwitch, switchCommands } from "../../moves/aws/ssm-switch.ts";
import { targetsHealthy } from "../../moves/aws/load-balancer.ts";
import { concreteRuntime } from "../../moves/aws/runtime.ts";

describe("moves/aws", () => {
  const ssm = new SSMClient({ region: "us-east-1" });
  const ssmMock = mockClient(ssm);
  beforeEach(() => ssmMock.reset());
  const runtime = { tier: "box" as const, env: { DATABASE_URL: "mysql://app@db:3306/app" } };

  it("the switch script replaces the runtime file atomically, boots again and waits for readiness", () => {
    const script = switchCommands(runtime).join("\n");
    expect(script).to.match(/cat > \/etc\/scale-app\/runtime\.json\.new <<'RUNTIME'\n\{"tier":"box"/);
    expect(script).to.include("mv /etc/scale-app/runtime.json.new /etc/scale-app/runtime.json");
    expect(script.indexOf("scale-boot")).to.be.lessThan(script.indexOf("systemctl restart scale-app"));
    expect(script).to.include("/readyz");
  });

  it("fails naming the tags when no instance takes the command (nothing tagged, or no SSM agent)", async () => {
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: "c-1" } });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const err = await ssmSwitch({ ssm, stack: "prod", runtime, timeoutSeconds: -59, pollMs: 1 }).catch((e: Error) => e);
    expect((err as Error).message).to.match(/no instance tagged scale:stack=prod and scale:tier=box/);
  });

  it("fails naming each instance that did not succeed, and succeeds only when every one did", async () => {
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: "c-2" } });
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({ CommandInvocations: [{ InstanceId: "i-1", Status: "InProgress" }] })
      .resolves({ CommandInvocations: [{ InstanceId: "i-1", Status: "Success" }, { InstanceId: "i-2", Status: "Failed", CommandPlugins: [{ Output: "boom" }] }] });
    const err = await ssmSwitch({ ssm, stack: "prod", runtime, pollMs: 1 }).catch((e: Error) => e);
    expect((err as Error).message).to.equal("the switch failed on i-2 (Failed: boom)");
  });

  it("a target group with no targets, or one unhealthy, is not a tier that answers", async () => {
    const elb = new ElasticLoadBalancingV2Client({ region: "us-east-1" });
    const m = mockClient(elb);
    m.on(DescribeTargetHealthCommand).resolvesOnce({ TargetHealthDescriptions: [] }).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: "i-1" }, TargetHealth: { State: "healthy" } },
        { Target: { Id: "i-2" }, TargetHealth: { State: "unhealthy", Reason: "Target.ResponseCodeMismatch" } },
      ],
    });
    expect(await targetsHealthy(elb, "arn:tg")).to.deep.equal({ healthy: false, detail: "arn:tg has no registered targets" });
    expect(await targetsHealthy(elb, "arn:tg")).to.deep.equal({ healthy: false, detail: "i-2: unhealthy Target.ResponseCodeMismatch" });
  });

  it("a runtime is made concrete from the stack: outputs as strings, secrets with their ARN; a missing output is named", async () => {
    const urn = "urn:pulumi:plan::p::aws:rds/instance:Instance::db";
    const lookup = async () => ({ address: "db.internal", masterUserSecrets: [{ secretArn: "arn:aws:secretsmanager:us-east-1:1:secret:rds" }] });
    const r = await concreteRuntime(
      { tier: "box", env: { HOST: { from: "output", urn, output: "address" }, PW: { from: "file", name: "db-password", content: { from: "secret", urn, field: "password" } } } },
      lookup,
    );
    expect(r.env.HOST).to.equal("db.internal");
    expect(r.env.PW).to.deep.equal({ from: "file", name: "db-password", content: { from: "secret", urn, field: "password", arn: "arn:aws:secretsmanager:us-east-1:1:secret:rds" } });
    const missing = await concreteRuntime({ tier: "box", env: { HOST: { from: "output", urn, output: "endpoint" } } }, lookup).catch((e: Error) => e);
    expect((missing as Error).message).to.match(/HOST: the stack's .* has no output endpoint/);
  });
});
