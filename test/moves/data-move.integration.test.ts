/**
 * The data move between two throwaway MariaDB servers while the real service takes writes through a front door:
 * no acknowledged write is lost, every refused write is a 503 with Retry-After, the freeze is reported, and the
 * steps are journaled.
 */
import { expect } from "chai";
import { join } from "node:path";
import { moveData } from "../../moves/data-move.ts";
import { fileMoveState, type AuditWriter } from "../../moves/journal.ts";
import { MoveRig } from "../support/move-rig.ts";
import { tempDir } from "../support/tmp.ts";

describe("moveData (two MariaDB servers, the service writing)", function () {
  this.timeout(180_000);
  let rig: MoveRig;
  before(async () => {
    rig = new MoveRig();
    await rig.start();
    await rig.fill(2000, 1024);
  });
  after(async () => rig?.stop());

  it("moves the data under load with a short freeze and loses no acknowledged write", async () => {
    const records: Array<Record<string, unknown>> = [];
    const audit: AuditWriter = { record: (e) => records.push(e) };
    const statePath = join(tempDir("scale-move"), "move.json");
    rig.startLoad(3);
    await new Promise((r) => setTimeout(r, 1000));
    const result = await moveData({
      source: rig.source.url,
      target: rig.target.url,
      database: "app",
      switchServers: () => rig.switchServers(),
      checkServing: () => rig.checkServing(),
      prepareSwitch: () => rig.prepare(),
      journal: { state: fileMoveState(statePath), audit },
    });
    await new Promise((r) => setTimeout(r, 500)); // writes go on against the target
    const load = await rig.stopLoad();

    expect(load.violations).to.deep.equal([]);
    expect(load.acked.length).to.be.greaterThan(0);
    expect(await rig.missing(load.acked)).to.deep.equal([]);
    expect(result.steps.map((s) => s.name)).to.deep.equal([
      "preflight", "seed", "replicate", "catch-up", "freeze", "apply", "verify", "promote", "switch", "check-serving", "cleanup",
    ]);
    expect(result.writeUnavailableSeconds).to.be.a("number").and.greaterThan(0);
    // The target holds every row: the filler's, the writers' (each acknowledged once) and the probe's.
    const items = Number(await rig.target.sql("SELECT COUNT(*) FROM items", "app"));
    expect(items).to.equal(2000 + load.acked.length + 1);
    expect((await rig.target.sql("SHOW SLAVE STATUS")).trim(), "the target is a primary of its own").to.equal("");
    expect((await rig.source.sql("SELECT @@read_only")).trim(), "the old side stays frozen").to.equal("1");
    expect(records.map((r) => r.kind)).to.include.members(["move.data.start", "move.data.step", "move.data.end"]);
    expect(fileMoveState(statePath).load()?.phase).to.equal("done");
    console.log(`      ${result.steps.map((s) => `${s.name} ${s.seconds}`).join(", ")}`);
    console.log(`      write-unavailable ${result.writeUnavailableSeconds} s; ${load.acked.length} writes acknowledged, ${load.refused} refused with 503`);
  });
});
