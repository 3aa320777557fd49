import { expect } from "chai";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { json, scale } from "./run-scale.ts";
import { localLogFiles, localLogs, type LogLine } from "../../cli/lib/logs.ts";
import { tempDir } from "../support/tmp.ts";

function localStage(): string {
  const dir = tempDir("scale-logs");
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "logs", "app-read-1.log"), "r1 one\nr1 two\n");
  writeFileSync(join(dir, "logs", "app-read-2.log"), "r2 one\n");
  writeFileSync(join(dir, "logs", "app-write-1.log"), "w1 one\n");
  writeFileSync(join(dir, "logs", "mariadb-box.log"), "db\n");
  return dir;
}

describe("scale logs", () => {
  describe("a local stage's own log files", () => {
    it("--tier read --local prints the read tier's processes only", async () => {
      const dir = localStage();
      const run = await scale(["logs", "--tier", "read", "--local", "--dir", dir, "--json"]);
      expect(run.exit, run.message).to.equal(0);
      const { lines } = json<{ lines: LogLine[] }>(run);
      expect(lines.map((l) => `${l.source}: ${l.message}`)).to.deep.equal(["app-read-1: r1 one", "app-read-1: r1 two", "app-read-2: r2 one"]);
      const human = await scale(["logs", "--tier", "write", "--local", "--dir", dir]);
      expect(human.stdout).to.equal("[app-write-1] w1 one\n");
    });

    it("a tier with no log files exits 2 saying where it looked", async () => {
      const run = await scale(["logs", "--tier", "worker", "--local", "--dir", localStage()]);
      expect(run.exit).to.equal(2);
      expect(run.message).to.match(/no worker-tier log files in .*\/logs/);
    });

    it("--follow prints lines appended later, whole lines only, until stopped", async () => {
      const dir = localStage();
      const seen: string[] = [];
      const stop = new AbortController();
      const following = localLogs(localLogFiles(dir, "read"), { lines: 1, follow: true, signal: stop.signal, pollMs: 20, emit: (l) => seen.push(l.message) });
      appendFileSync(join(dir, "logs", "app-read-2.log"), "r2 two\nr2 part");
      await new Promise((r) => setTimeout(r, 150));
      appendFileSync(join(dir, "logs", "app-read-2.log"), "ial\n");
      await new Promise((r) => setTimeout(r, 150));
      stop.abort();
      await following;
      expect(seen).to.deep.equal(["r1 two", "r2 one", "r2 two", "r2 partial"]);
    });

    it("--follow with --json is refused (one document cannot be a stream)", async () => {
      const run = await scale(["logs", "--tier", "read", "--local", "--dir", localStage(), "--follow", "--json"]);
      expect(run.exit).to.equal(2);
    });
  });

  describe("CloudWatch Logs", () => {
    let cwl: ReturnType<typeof mockClient>;
    let sts: ReturnType<typeof mockClient>;
    before(() => {
      cwl = mockClient(CloudWatchLogsClient) as unknown as ReturnType<typeof mockClient>;
      sts = mockClient(STSClient) as unknown as ReturnType<typeof mockClient>;
    });
    after(() => [cwl, sts].forEach((m) => m.restore()));
    beforeEach(() => {
      [cwl, sts].forEach((m) => m.reset());
      sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012" });
    });

    it("reads /scale/<stack>/<tier> from --since, following nextToken", async () => {
      cwl.on(FilterLogEventsCommand, { logGroupName: "/scale/prod/read", nextToken: undefined }).resolves({ events: [{ eventId: "1", timestamp: Date.UTC(2026, 11, 3), logStreamName: "i-0aaa", message: "GET /v1/items/1 200\n" }], nextToken: "t2" });
      cwl.on(FilterLogEventsCommand, { logGroupName: "/scale/prod/read", nextToken: "t2" }).resolves({ events: [{ eventId: "2", timestamp: Date.UTC(2026, 11, 3, 0, 0, 1), logStreamName: "i-0bbb", message: "GET /v1/items/2 304" }] });
      const before = Date.now();
      const run = await scale(["logs", "--tier", "read", "--stack", "prod", "--since", "30m", "--json"]);
      expect(run.exit, run.message).to.equal(0);
      const doc = json<{ source: string; lines: LogLine[] }>(run);
      expect(doc.source).to.equal("/scale/prod/read");
      expect(doc.lines.map((l) => `${l.source} ${l.message}`)).to.deep.equal(["i-0aaa GET /v1/items/1 200", "i-0bbb GET /v1/items/2 304"]);
      const startTime = (cwl.commandCalls(FilterLogEventsCommand)[0]!.args[0].input as { startTime: number }).startTime;
      expect(startTime).to.be.closeTo(before - 30 * 60_000, 5000);
    });

    it("a missing log group exits 1 naming it", async () => {
      cwl.on(FilterLogEventsCommand).rejects(new ResourceNotFoundException({ message: "The specified log group does not exist.", $metadata: {} }));
      const run = await scale(["logs", "--tier", "worker", "--stack", "prod"]);
      expect(run.exit).to.equal(1);
      expect(run.message).to.include("no log group /scale/prod/worker");
    });

    it("--since that is not a duration exits 2", async () => {
      const run = await scale(["logs", "--tier", "read", "--since", "yesterday"]);
      expect(run.exit).to.equal(2);
      expect(run.message).to.include("--since");
    });
  });
});
