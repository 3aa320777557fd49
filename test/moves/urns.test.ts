import { expect } from "chai";
import { stackUrn, UrnError } from "../../moves/urns.ts";
import { planPhases, type PhaseChange } from "../../moves/phases.ts";

describe("moves/urns: the offline plan's URNs as the stack's own", () => {
  it("puts the stack's name where the plan's stands, keeping the parent type chain and the name", () => {
    expect(stackUrn("urn:pulumi:plan::scale-to-millions::scale:aws:Database$aws:rds/instance:Instance::db", "prod")).to.equal(
      "urn:pulumi:prod::scale-to-millions::scale:aws:Database$aws:rds/instance:Instance::db",
    );
  });
  it("refuses what is not a URN, and a stack name that would change the URN's shape", () => {
    expect(() => stackUrn("urn:db", "prod")).to.throw(UrnError, /not a Pulumi URN: "urn:db"/);
    expect(() => stackUrn("urn:pulumi:plan::p::t::n", "a::b")).to.throw(UrnError, /not a stack name/);
  });
});

describe("moves/phases", () => {
  const c = (type: string, action: PhaseChange["action"], name: string, stateful = false): PhaseChange => ({ urn: `urn:pulumi:plan::p::${type}::${name}`, type, action, stateful });
  it("keeps the edge out of the expand, and lists what the contract must release", () => {
    const changes = [
      c("aws:lb/loadBalancer:LoadBalancer", "delete", "alb"),
      c("aws:route53/record:Record", "update", "www"),
      c("aws:lb/listener:Listener", "delete", "https"),
      c("aws:ec2/instance:Instance", "create", "box"),
      c("aws:ebs/volume:Volume", "create", "data", true),
      c("aws:s3/bucket:Bucket", "delete", "old", true),
    ];
    const from = {
      stage: 2,
      resources: [
        { urn: changes[0]!.urn, type: "aws:lb/loadBalancer:LoadBalancer", inputs: { enableDeletionProtection: true } },
        { urn: changes[5]!.urn, type: "aws:s3/bucket:Bucket", inputs: {} },
      ],
    };
    const p = planPhases(changes, from, { stage: 1 });
    expect(p.expand).to.deep.equal([changes[3]!.urn, changes[4]!.urn]);
    expect(p.edge).to.deep.equal([changes[1]!.urn]);
    expect(p.release).to.deep.equal([changes[5]!.urn]);
    expect(p.liftProtection).to.deep.equal([changes[0]!.urn]);
    expect(p.removes).to.equal(true);
    expect(p.movesData).to.equal(false);
  });
  it("an ALB without deletion protection needs nothing lifted", () => {
    const alb = c("aws:lb/loadBalancer:LoadBalancer", "delete", "alb");
    const p = planPhases([alb], { stage: 2, resources: [{ urn: alb.urn, type: alb.type, inputs: { enableDeletionProtection: false } }] }, { stage: 1 });
    expect(p.liftProtection).to.deep.equal([]);
  });
});
