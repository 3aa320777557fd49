import { expect } from "chai";
import { json, scale } from "./run-scale.ts";
import type { CapacityReport } from "../../cli/lib/capacity.ts";

describe("scale capacity", () => {
  it("prints the seed's figures for the seed's inputs", async () => {
    const run = await scale(["capacity", "--users", "10M", "--writes-per-month", "1B", "--read-write-ratio", "100", "--bytes-per-write", "1KB"]);
    expect(run.exit).to.equal(0);
    expect(run.stdout).to.include("400 writes/s, 40,000 reads/s");
    expect(run.stdout).to.include("a month is 2,500,000 s");
    expect(run.stdout).to.include("1 TB of new content a month, 36 TB in 3 years");
    expect(run.stdout).to.match(/Recommended stage: \d/);
    expect(run.stdout).to.match(/app servers: +\d+/);
  });

  it("gives the same figures as one JSON document", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--json"]));
    expect(report.average).to.deep.include({ writesPerSecond: 400, readsPerSecond: 40_000 });
    expect(report.storage.bytesPerMonth).to.equal(1e12);
    expect(report.storage.bytesTotal).to.equal(36e12);
    expect(report.peak.readsPerSecond).to.equal(120_000);
    expect(report.sizing.readReplicas).to.equal(3);
    expect(report.assumptions.appServerRequestsPerSecond).to.be.a("number");
  });

  it("recommends a single box for a small service", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--users", "200", "--json"]));
    expect(report.recommendedStage.stage).to.equal(0);
  });

  for (const [flag, value] of [
    ["--users", "-5"],
    ["--users", "0"],
    ["--users", "lots"],
    ["--writes-per-month", "1e20"],
    ["--read-write-ratio", "NaN"],
    ["--bytes-per-write", "1.5"],
    ["--peak-factor", "0.5"],
    ["--years", "1000"],
  ] as const) {
    it(`exits 2 naming ${flag} for ${value}`, async () => {
      const run = await scale(["capacity", flag, value]);
      expect(run.exit).to.equal(2);
      expect(run.message).to.include(flag);
    });
  }

  it("under --json, a bad value is still exit 2 with the message in the JSON", async () => {
    const run = await scale(["capacity", "--users", "abc", "--json"]);
    expect(run.exit).to.equal(2);
    expect(json<{ error: { message: string } }>(run).error.message).to.include("--users");
  });
});
