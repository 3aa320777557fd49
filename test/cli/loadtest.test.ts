import { expect } from "chai";
import { scale } from "./run-scale.ts";
import { freePort } from "../support/servers.ts";

describe("scale loadtest: what it refuses", function () {
  this.timeout(60_000);

  for (const [args, pattern] of [
    [["--duration", "11m"], /over the 10m cap/],
    [["--duration", "soon"], /not a duration/],
    [["--connections", "0"], /--connections: 0 is out of range/],
    [["--zipf", "-1"], /--zipf/],
    [["--ramp", "fast"], /FROM\.\.TO\/DURATION/],
    [["--ramp", "10..20/40s", "--duration", "20s"], /longer than --duration/],
    [["--items", "0"], /--items/],
  ] as const) {
    it(`exits 2 on ${args.join(" ")}`, async () => {
      const run = await scale(["loadtest", "--url", "http://127.0.0.1:9", ...args]);
      expect(run.exit).to.equal(2);
      expect(run.message).to.match(pattern);
    });
  }

  it("exits 2 on a URL that is not http(s)", async () => {
    const run = await scale(["loadtest", "--url", "127.0.0.1:8080"]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.match(/--url/);
  });

  it("refuses a URL that is not this machine without --yes (exit 3), before sending anything", async () => {
    const run = await scale(["loadtest", "--url", "http://203.0.113.7:8080", "--duration", "5s"]);
    expect(run.exit).to.equal(3);
    expect(run.message).to.match(/not this machine.*--yes/);
  });

  it("fails fast (exit 1) with a clear message when nothing answers", async () => {
    const port = await freePort();
    const run = await scale(["loadtest", "--url", `http://127.0.0.1:${port}`, "--duration", "10m", "--json"]);
    expect(run.exit).to.equal(1);
    expect(run.stdout).to.match(/nothing answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the service running\?/);
    // It fails at the probe: had it gone on to the 10 minutes it was asked for, the test's timeout would fail it.
  });

  it("with --yes, a stopped non-loopback-looking service still fails fast rather than hanging", async () => {
    // 192.0.2.0/24 is TEST-NET-1: nothing answers, and the connect timeout bounds the wait.
    const run = await scale(["loadtest", "--url", "http://192.0.2.1:81", "--duration", "10s", "--yes"]);
    expect(run.exit).to.equal(1);
    expect(run.message).to.match(/nothing answers at http:\/\/192\.0\.2\.1:81/);
  });
});
