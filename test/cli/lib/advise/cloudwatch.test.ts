/** Stack advice from recorded CloudWatch series (GetMetricData answers through aws-sdk-client-mock). */
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { buildQueries, dailyCurve, gatherStackEvidence, StackEvidenceError } from "../../../../cli/lib/advise/cloudwatch.ts";
import { advise } from "../../../../cli/lib/advise/rules.ts";
import { json, scale } from "../../run-scale.ts";

const NOW = new Date("2026-12-03T12:00:00Z");
const HOUR = 3_600_000;

/** A recorded series: `fn(t)` at each period from `since` ago to now. */
function series(id: string, label: string, sinceMs: number, periodS: number, fn: (t: Date) => number): MetricDataResult {
  const timestamps: Date[] = [];
  for (let t = NOW.getTime() - sinceMs; t < NOW.getTime(); t += periodS * 1000) timestamps.push(new Date(t));
  return { Id: id, Label: label, Timestamps: timestamps, Values: timestamps.map(fn), StatusCode: "Complete" };
}

/** A business-day curve: busy 08:00-18:00 UTC, quiet at night. */
const daily = (peak: number, trough: number) => (t: Date) => (t.getUTCHours() >= 8 && t.getUTCHours() < 18 ? peak : trough);

describe("advise from CloudWatch", () => {
  const cw = mockClient(CloudWatchClient);
  afterEach(() => cw.reset());
  after(() => cw.restore());

  it("asks for the stack's own resources by their prefix, with a period that fits the window", () => {
    const q = buildQueries("Prod", HOUR);
    expect(q.map((x) => x.Id)).to.include.members(["webcpu", "albreq", "rdscpu", "rdsriops", "cachehit", "sqsage"]);
    expect(q.find((x) => x.Id === "rdscpu")!.Expression).to.equal(`SEARCH('{AWS/RDS,DBInstanceIdentifier} MetricName="CPUUtilization" "prod"', 'Average', 60)`);
    expect(q.some((x) => x.Id === "albreqhourly")).to.equal(false);
    expect(buildQueries("prod", 7 * 24 * HOUR).find((x) => x.Id === "albreqhourly")!.Expression).to.match(/RequestCount.*'Sum', 3600/);
  });

  it("a stage 2 stack whose RDS is busy with reads is told stage 3", async () => {
    const since = HOUR;
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series("albreq", "prod-alb", since, 60, () => 120_000),
        series("alb5xx", "prod-alb", since, 60, () => 12),
        series("webcpu", "prod-read", since, 60, () => 55),
        series("webcpu", "prod-write", since, 60, () => 20),
        series("rdscpu", "prod-db", since, 60, (t) => (t.getUTCMinutes() > 30 ? 93 : 70)),
        series("rdsriops", "prod-db", since, 60, () => 2400),
        series("rdswiops", "prod-db", since, 60, () => 60),
        series("rdsmem", "prod-db", since, 60, () => 3e9),
        series("rdsconn", "prod-db", since, 60, () => 80),
      ],
    });
    const got = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", since, NOW);
    expect(got.stage).to.equal(2);
    expect(got.evidence.rds_cpu_percent).to.equal(93);
    expect(got.evidence.rds_read_write_iops_ratio).to.equal(40);
    expect(got.evidence.requests_per_second).to.equal(2000);
    expect(got.evidence.alb_5xx_share).to.be.closeTo(1e-4, 1e-9);
    expect(got.evidence.web_cpu_percent).to.equal(55);
    const a = advise(got.evidence, got.stage);
    expect(a.next).to.deep.include({ stage: 3 });
    expect(a.bottleneck).to.equal("database (reads)");
    expect(a.evidence.map((e) => e.metric)).to.include.members(["rds_read_write_iops_ratio", "rds_cpu_percent"]);
    // The request spanned the window it was asked for.
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input as GetMetricDataCommandInput;
    expect(input.EndTime).to.deep.equal(NOW);
    expect(input.StartTime).to.deep.equal(new Date(NOW.getTime() - since));
  });

  it("a stage 3 stack with a business-day cycle over a week is told stage 4, with its busy hours", async () => {
    const since = 7 * 24 * HOUR;
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        series("albreqhourly", "prod-alb", since, 3600, daily(3_600_000, 360_000)),
        series("albreq", "prod-alb", since, 3600, daily(3_600_000, 360_000)),
        series("rdscpu", "prod-db", since, 3600, () => 35),
        series("rdsriops", "prod-db", since, 3600, () => 50),
        series("rdswiops", "prod-db", since, 3600, () => 40),
        series("cachehit", "prod-cache-001", since, 3600, () => 96),
        series("cachecpu", "prod-cache-001", since, 3600, () => 20),
      ],
    });
    const got = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", since, NOW);
    expect(got.stage).to.equal(3);
    expect(got.evidence.daily_peak_to_trough).to.equal(10);
    expect(got.evidence.cache_hit_ratio).to.be.closeTo(0.96, 1e-9);
    expect(got.notes.join("\n")).to.include("busy hours (UTC): 08 09 10 11 12 13 14 15 16 17");
    const a = advise(got.evidence, got.stage);
    expect(a.next).to.deep.include({ stage: 4 });
    expect(a.bottleneck).to.match(/daily cycle/);
  });

  it("a flat week is no daily cycle, and a quiet stack is told nothing is near a limit", async () => {
    const since = 2 * 24 * HOUR;
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [series("albreqhourly", "a", since, 3600, () => 1000), series("albreq", "a", since, 3600, () => 1000), series("rdscpu", "db", since, 3600, () => 10)],
    });
    const got = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", since, NOW);
    expect(got.evidence.daily_peak_to_trough).to.equal(1);
    expect(advise(got.evidence, got.stage).rule).to.equal(null);
  });

  it("follows NextToken across pages", async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [series("rdscpu", "db", HOUR, 60, () => 10)], NextToken: "page-2" })
      .resolvesOnce({ MetricDataResults: [series("rdscpu", "db", HOUR, 60, () => 97)] });
    const got = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", HOUR, NOW);
    expect(got.evidence.rds_cpu_percent).to.equal(97);
    expect(cw.commandCalls(GetMetricDataCommand)[1]!.args[0].input.NextToken).to.equal("page-2");
  });

  it("names the stack when CloudWatch has nothing for it, and the cause when the call fails", async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "rdscpu", Timestamps: [], Values: [] }] });
    const err = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", HOUR, NOW).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StackEvidenceError);
    expect((err as Error).message).to.match(/no CloudWatch metrics found for stack "prod" \(names starting prod-\)/);
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error("User is not authorized to perform: cloudwatch:GetMetricData"), { name: "AccessDenied" }));
    const denied = await gatherStackEvidence(new CloudWatchClient({ region: "eu-west-1" }), "prod", HOUR, NOW).catch((e: unknown) => e);
    expect((denied as Error).message).to.match(/AccessDenied.*cloudwatch:GetMetricData is allowed/);
  });

  it("reads the daily curve only with every hour of the day present", () => {
    expect(dailyCurve(new Map([[NOW.getTime(), 5]]))).to.equal(undefined);
  });

  describe("scale advise --stack", () => {
    it("prints the contract's document", async () => {
      cw.on(GetMetricDataCommand).resolves({
        MetricDataResults: [series("albreq", "prod-alb", HOUR, 60, () => 6000), series("rdscpu", "prod-db", HOUR, 60, () => 91), series("rdsriops", "prod-db", HOUR, 60, () => 900), series("rdswiops", "prod-db", HOUR, 60, () => 30)],
      });
      const run = await scale(["advise", "--stack", "prod", "--region", "eu-west-1", "--json"]);
      expect(run.exit, run.stdout + run.stderr).to.equal(0);
      const doc = json<{ stage: number; bottleneck: string; evidence: { metric: string; value: number; threshold: number }[]; next: { stage: number; why: string } }>(run);
      expect(Object.keys(doc).sort()).to.deep.equal(["bottleneck", "evidence", "next", "stage"]);
      expect(doc.stage).to.equal(2);
      expect(doc.next.stage).to.equal(3);
      expect(doc.next.why).to.match(/RDS is busy with reads.*rds cpu percent 91 \(threshold 80\)/);
      expect(doc.evidence[0]).to.have.all.keys("metric", "value", "threshold");
    });

    it("shows a short evidence table and the one recommendation", async () => {
      cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [series("rdscpu", "prod-db", HOUR, 60, () => 91), series("rdsriops", "prod-db", HOUR, 60, () => 900), series("rdswiops", "prod-db", HOUR, 60, () => 30)] });
      const run = await scale(["advise", "--stack", "prod", "--region", "eu-west-1"]);
      expect(run.exit).to.equal(0);
      expect(run.stdout).to.match(/metric +value +threshold/);
      expect(run.stdout).to.match(/rds_cpu_percent +91 +80/);
      expect(run.stdout).to.include("Next: move to stage 3");
    });

    it("exits 1 naming the stack when nothing is found, 2 on bad flags", async () => {
      cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      const none = await scale(["advise", "--stack", "nope", "--region", "eu-west-1"]);
      expect(none.exit).to.equal(1);
      expect(none.message).to.match(/no CloudWatch metrics found for stack "nope"/);
      expect((await scale(["advise", "--stack", "prod", "--since", "1m"])).exit).to.equal(2);
      expect((await scale(["advise", "--stack", "prod", "--url", "http://127.0.0.1:1"])).exit).to.equal(2);
      expect((await scale(["advise"])).exit).to.equal(2);
    });
  });
});
