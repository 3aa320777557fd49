import { expect } from "chai";
import { planStage, type Plan } from "../../stacks/plan.ts";
import { STAGES, type Stage } from "../../stacks/stages.ts";
import type { OutputValue, RuntimeValue } from "../../runtime/sources.ts";
import { deriveTopology, LADDER_FORMS, LocalFormError, outputStandIn, type Topology } from "../../local/forms.ts";

/** Every `{from: "output"}` value in a runtime, however deep in templates and files. */
function outputsOf(value: RuntimeValue): OutputValue[] {
  if (typeof value === "string") return [];
  if (value.from === "output") return [value];
  if (value.from === "template") return Object.values(value.parts).flatMap(outputsOf);
  if (value.from === "file") return outputsOf(value.content);
  return [];
}

describe("local/forms: a local stage's topology from the ladder and the plan", function () {
  this.timeout(180_000);
  const plans = new Map<number, Plan>();
  const topologies = new Map<number, Topology>();

  before(async () => {
    for (const stage of STAGES) {
      const plan = await planStage(stage.id);
      plans.set(stage.id, plan);
      topologies.set(stage.id, deriveTopology(stage, plan));
    }
  });

  it("covers every ladder component of every stage, and every output a tier's runtime names has a local stand-in", () => {
    for (const stage of STAGES) {
      for (const key of Object.keys(stage.components)) expect(LADDER_FORMS, `stage ${stage.id}: ${key}`).to.have.property(key);
      const topology = topologies.get(stage.id)!;
      for (const tier of topology.tiers) {
        expect(tier.count, `${stage.id} ${tier.tier}`).to.be.at.least(1);
        const values = [...Object.values(tier.runtime.env), ...Object.values(tier.runtime.migrate ?? {})];
        for (const out of values.flatMap(outputsOf)) expect(() => outputStandIn(topology, out.urn, out.output), out.urn).not.to.throw();
      }
    }
  });

  it("derives each stage's servers: the box and its MariaDB, RDS, replicas and cache from 3, the queue, buckets and worker at 5", () => {
    const summary = (t: Topology) => ({
      databases: t.databases.map((d) => d.name), cache: Boolean(t.cache), frontDoor: t.frontDoor,
      tiers: Object.fromEntries(t.tiers.map((x) => [x.tier, x.count])), queues: t.queues.length,
    });
    expect(summary(topologies.get(0)!)).to.deep.equal({ databases: ["mariadb-box"], cache: false, frontDoor: "box", tiers: { box: 1 }, queues: 0 });
    expect(summary(topologies.get(1)!)).to.deep.equal({ databases: ["mariadb-primary"], cache: false, frontDoor: "box", tiers: { box: 1 }, queues: 0 });
    expect(summary(topologies.get(2)!)).to.deep.equal({ databases: ["mariadb-primary"], cache: false, frontDoor: "split", tiers: { read: 2, write: 2 }, queues: 0 });
    expect(summary(topologies.get(3)!).databases).to.deep.equal(["mariadb-primary", "mariadb-replica-1", "mariadb-replica-2"]);
    expect(summary(topologies.get(3)!).cache).to.equal(true);
    const five = topologies.get(5)!;
    expect(summary(five).tiers).to.deep.equal({ read: 2, write: 2, worker: 1 });
    expect(five.queues.find((q) => q.deadLetterOf)?.deadLetterOf).to.equal(five.queues.find((q) => !q.deadLetterOf)?.name);
    expect(five.buckets).to.include.members(["uploads-bucket", "archive-bucket"]);
    expect(topologies.get(4)!.reported.join(" ")).to.match(/autoscaling/);
  });

  it("fails naming a ladder component that has no local form", () => {
    const stage = STAGES[2]!;
    const fake = { id: stage.id, components: { ...stage.components, teleporter: {} } } as unknown as Stage;
    expect(() => deriveTopology(fake, plans.get(2)!)).to.throw(LocalFormError, /"teleporter" has no local form/);
  });

  it("fails naming a resource type the plan registers that has no local form", () => {
    const plan = plans.get(1)!;
    const odd = { ...plan, resources: [...plan.resources, { urn: "urn:pulumi:plan::p::aws:dynamodb/table:Table::t", type: "aws:dynamodb/table:Table", name: "sessions-table", parent: null, inputs: {} }] };
    expect(() => deriveTopology(STAGES[1]!, odd)).to.throw(LocalFormError, /aws:dynamodb\/table:Table \(sessions-table\), which has no local form/);
  });

  it("fails when a tier has a runtime but no servers, or a URN no stand-in", () => {
    const plan = plans.get(2)!;
    const noAsg = { ...plan, resources: plan.resources.filter((r) => !(r.type === "aws:autoscaling/group:Group" && r.name === "read-asg")) };
    expect(() => deriveTopology(STAGES[2]!, noAsg)).to.throw(LocalFormError, /read tier a runtime but no servers/);
    expect(() => outputStandIn(topologies.get(2)!, "urn:pulumi:plan::p::aws:efs/fileSystem:FileSystem::fs", "dnsName")).to.throw(LocalFormError, /no local stand-in/);
  });
});
