import { expect } from "chai";
import { initialReplicaState, markReplicaDown, nextReplicaState, type CheckResult, type ReplicaState } from "../../../app/db/replica-health.ts";

const rules = { maxLagSeconds: 5, rise: 2 };
const ok = (lagSeconds: number | undefined): CheckResult => ({ reachable: true, lagSeconds });
const down: CheckResult = { reachable: false, error: "ECONNREFUSED" };
const run = (checks: CheckResult[], from: ReplicaState = initialReplicaState) =>
  checks.reduce((state, check) => nextReplicaState(state, check, rules), from);

describe("replica health rules", () => {
  it("admits a replica on its first good check", () => {
    expect(run([ok(0)]).inRotation).to.equal(true);
  });

  it("keeps a replica out until its first check", () => {
    expect(initialReplicaState.inRotation).to.equal(false);
  });

  it("takes a replica out on one check above the lag bound, and names the lag", () => {
    const state = run([ok(0), ok(7.25)]);
    expect(state.inRotation).to.equal(false);
    expect(state.reason).to.equal("lag 7.3 s above the bound of 5 s");
    expect(state.lagSeconds).to.equal(7.25);
  });

  it("a lag exactly at the bound is still in rotation", () => {
    expect(run([ok(5)]).inRotation).to.equal(true);
  });

  it("takes a replica out when it is down", () => {
    const state = run([ok(0), down]);
    expect(state.inRotation).to.equal(false);
    expect(state.reason).to.equal("down: ECONNREFUSED");
  });

  it("brings a replica back only after `rise` good checks in a row", () => {
    const out = run([ok(0), ok(9)]);
    const once = nextReplicaState(out, ok(0), rules);
    expect(once.inRotation).to.equal(false);
    expect(once.reason).to.equal("recovering (1 of 2 good checks)");
    expect(nextReplicaState(once, ok(0), rules).inRotation).to.equal(true);
    // A bad check in between starts the count again.
    expect(run([ok(0), ok(9), ok(0), ok(9), ok(0)]).inRotation).to.equal(false);
  });

  it("keeps the last verdict while lag cannot be measured (primary away)", () => {
    expect(run([ok(0), ok(undefined), ok(undefined)]).inRotation).to.equal(true);
    expect(run([ok(0), ok(9), ok(undefined)]).inRotation).to.equal(false);
    // Never measured: never admitted on an unknown lag.
    expect(run([ok(undefined)]).inRotation).to.equal(false);
  });

  it("a replica that has never received a heartbeat (infinite lag) stays out", () => {
    const state = run([ok(Number.POSITIVE_INFINITY)]);
    expect(state.inRotation).to.equal(false);
    expect(state.reason).to.match(/no heartbeat yet/);
  });

  it("a failed read takes a replica out at once, and it must rise again", () => {
    const state = markReplicaDown(run([ok(0)]), "PROTOCOL_CONNECTION_LOST");
    expect(state.inRotation).to.equal(false);
    expect(nextReplicaState(state, ok(0), rules).inRotation).to.equal(false);
  });
});
