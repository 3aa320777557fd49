import { expect } from "chai";
import { scale } from "../run-scale.ts";

describe("scale stage plan: the cost section", function () {
  this.timeout(120_000);

  it("prices a stage from the dated table and names the region and date", async () => {
    const run = await scale(["stage", "plan", "--stage", "0"]);
    expect(run.stdout).to.match(/Estimated monthly cost \(on-demand, us-east-1, prices recorded \d{4}-\d{2}-\d{2}; fixed charges only\)/);
    expect(run.stdout).to.match(/stage 0 \(single-box\): \$\d+\.\d\d\/month/);
    expect(run.stdout).to.match(/aws:ec2\/instance:Instance/);
  });

  it("gives the change of a move: 2 -> 3 adds two replicas and two cache nodes", async () => {
    const run = await scale(["stage", "plan", "--stage", "3", "--from", "2"]);
    // Example config: 2 x db.t3.medium replicas ($0.068/h) + 2 x cache.t3.small nodes ($0.034/h), 730 h.
    expect(run.stdout).to.include(`change: +$${((2 * 0.068 + 2 * 0.034) * 730).toFixed(2)}/month`);
  });

  it("leaves the JSON form as the contract says (no cost fields)", async () => {
    const run = await scale(["stage", "plan", "--stage", "1", "--json"]);
    expect(Object.keys(JSON.parse(run.stdout))).to.deep.equal(["stage", "name", "resources", "runtime"]);
  });
});
