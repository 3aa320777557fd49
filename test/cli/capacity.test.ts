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

describe("scale capacity: numbers that mean what they say", () => {
  for (const [flag, value] of [["--users", "10MB"], ["--writes-per-month", "5KB"], ["--bytes-per-write", "10M"], ["--users", "1.5.2"]] as const) {
    it(`refuses ${flag} ${value} (exit 2)`, async () => {
      const run = await scale(["capacity", flag, value]);
      expect(run.exit).to.equal(2);
      expect(run.message).to.include(flag).and.include(value);
    });
  }

  it("accepts 2MB per write and 10k users", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--users", "10k", "--bytes-per-write", "2MB", "--json"]));
    expect(report.inputs).to.deep.include({ users: 10_000, bytesPerWrite: 2_000_000 });
  });

  it("--users 1: stage 0 is sized as stage 0 (one server, no replica, no cache)", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--users", "1", "--json"]));
    expect(report.recommendedStage.stage).to.equal(0);
    expect(report.sizing).to.deep.include({ appServers: 1, readReplicas: 0, cacheMemoryBytes: 0 });
  });

  it("no floating-point noise: the seed's cache misses are exactly 12,000/s", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--json"]));
    expect(report.sizing.cacheMissReadsPerSecond).to.equal(12_000);
    for (const v of [...Object.values(report.average), ...Object.values(report.peak), report.sizing.cacheMemoryBytes])
      expect(String(v)).not.to.match(/\d\.\d*(9{6}|0{6})\d$/);
  });

  it("the hot set is a day of the same 2.5-million-second month the rates use", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--json"]));
    const day = report.storage.bytesPerMonth / (report.assumptions.secondsPerMonth / 86_400);
    expect(report.sizing.cacheMemoryBytes).to.be.closeTo(day * report.assumptions.cacheOverheadFactor, 1);
  });

  it("the reason names the limit that decided the stage, with both numbers", async () => {
    const report = json<CapacityReport>(await scale(["capacity", "--json"]));
    expect(report.recommendedStage.decidedBy).to.deep.equal({ limit: "peak writes/s over one MySQL primary", value: 1200, threshold: 1000 });
    const human = await scale(["capacity", "--users", "3M", "--writes-per-month", "12M"]);
    expect(human.stdout).to.match(/Recommended stage: 2 \(peak requests\/s over one web server: 1,454 requests\/s > 500 requests\/s/);
  });
});
