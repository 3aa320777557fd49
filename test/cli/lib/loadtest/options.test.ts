import { expect } from "chai";
import { isLoopback, parseBoundedDuration, parseDuration, parseRamp, parseServiceUrl } from "../../../../cli/lib/loadtest/options.ts";
import { judgeGenerator, scheduleAt, type SecondStats } from "../../../../cli/lib/loadtest/run.ts";

describe("loadtest options", () => {
  it("parses durations and refuses nonsense, zero and anything past the cap", () => {
    expect(parseDuration("duration", "30s")).to.equal(30_000);
    expect(parseDuration("duration", "1m30s")).to.equal(90_000);
    expect(parseDuration("duration", "45")).to.equal(45_000);
    expect(parseDuration("duration", "500ms")).to.equal(500);
    expect(parseDuration("duration", "30 seconds")).to.match(/not a duration/);
    expect(parseBoundedDuration("duration", "0s")).to.match(/too short/);
    expect(parseBoundedDuration("duration", "11m")).to.match(/over the 10m cap/);
    expect(parseBoundedDuration("duration", "10m")).to.equal(600_000);
  });

  it("parses a ramp and names what is wrong with a bad one", () => {
    expect(parseRamp("1000..20000/60s")).to.deep.equal({ from: 1000, to: 20000, ms: 60_000 });
    expect(parseRamp("1000-20000")).to.match(/FROM\.\.TO\/DURATION/);
    expect(parseRamp("0..10/5s")).to.match(/between 1 and/);
    expect(parseRamp("1..10/20m")).to.match(/cap/);
  });

  it("accepts only http(s) base URLs", () => {
    expect(parseServiceUrl("http://127.0.0.1:8080")).to.be.instanceOf(URL);
    expect(parseServiceUrl("127.0.0.1:8080")).to.match(/not supported|not a URL/);
    expect(parseServiceUrl("ftp://x")).to.match(/not supported/);
    expect(parseServiceUrl("not a url")).to.match(/not a URL/);
    expect(parseServiceUrl("http://x/?a=1")).to.match(/without a query/);
  });

  it("counts only this machine's addresses as loopback", () => {
    for (const u of ["http://127.0.0.1:1", "http://127.1.2.3", "http://localhost:8080", "http://[::1]:80", "http://app.localhost"])
      expect(isLoopback(new URL(u)), u).to.equal(true);
    for (const u of ["http://10.0.0.1", "https://example.com", "http://[::2]", "http://localhost.example.com", "http://128.0.0.1"])
      expect(isLoopback(new URL(u)), u).to.equal(false);
  });
});

describe("loadtest schedule", () => {
  it("spaces a fixed rate evenly", () => {
    expect(scheduleAt(0, 100, undefined)).to.equal(0);
    expect(scheduleAt(100, 100, undefined)).to.equal(1000);
  });

  it("ramps linearly, then holds the end rate", () => {
    const ramp = { from: 100, to: 300, ms: 10_000 };
    // Requests due by t: 100 t + 10 t^2 -> 2,000 at 10 s.
    expect(scheduleAt(2000, undefined, ramp)).to.be.closeTo(10_000, 1e-6);
    expect(scheduleAt(750, undefined, ramp)).to.be.closeTo(5000, 1e-6);
    expect(scheduleAt(2300, undefined, ramp)).to.be.closeTo(11_000, 1e-6);
    expect(scheduleAt(500, undefined, { from: 50, to: 50, ms: 20_000 })).to.be.closeTo(10_000, 1e-6);
  });
});

describe("loadtest generator judgement", () => {
  const second = (cpu: number, loopLagMs: number): SecondStats => ({ second: 1, requests: 1, errors: 0, p50: 1, p90: 1, p99: 1, max: 1, targetRps: null, cpu, loopLagMs });

  it("says the generator was the limit when it was busy for a quarter of the run", () => {
    const busy = judgeGenerator([second(0.95, 1), second(0.5, 1), second(0.5, 80), second(0.5, 1)], 0);
    expect(busy.bound).to.equal(true);
    expect(busy.reason).to.match(/load generator itself was busy.*in 2 of 4 seconds/);
  });

  it("does not when it had headroom", () => {
    const idle = judgeGenerator([second(0.3, 2), second(0.95, 1), second(0.4, 3), second(0.2, 1), second(0.2, 1)], 3);
    expect(idle.bound).to.equal(false);
    expect(idle.reason).to.equal(null);
    expect(idle.behindSchedule).to.equal(3);
  });
});
