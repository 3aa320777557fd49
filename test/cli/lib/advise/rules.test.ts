import { expect } from "chai";
import { advise, RULES, THRESHOLDS, type Evidence, type Rule } from "../../../../cli/lib/advise/rules.ts";
import { ASSUMPTIONS } from "../../../../cli/lib/capacity.ts";

/** For each rule: evidence that fires it, and the stage it is asked at. */
const FIRES: Record<string, { evidence: Evidence; stage: number | null }> = {
  "writes-near-primary-limit": { evidence: { writes_per_second: 900 }, stage: 3 },
  "read-heavy-database": { evidence: { reads_per_write: 100, database_read_share: 0.97, database_cpu_cores: 0.8 }, stage: 2 },
  "read-heavy-rds": { evidence: { rds_read_write_iops_ratio: 40, rds_cpu_percent: 92 }, stage: 2 },
  "replica-lag": { evidence: { replica_lag_seconds: 45 }, stage: 3 },
  "cache-hit-low": { evidence: { cache_hit_ratio: 0.4, reads_per_write: 100 }, stage: 3 },
  "queue-backlog": { evidence: { queue_oldest_message_seconds: 900 }, stage: 5 },
  "one-web-server-saturated": { evidence: { app_servers: 1, app_cpu_cores: 0.97 }, stage: 1 },
  "daily-cycle": { evidence: { daily_peak_to_trough: 6 }, stage: 3 },
  "web-servers-saturated": { evidence: { app_servers: 3, web_cpu_percent: 91 }, stage: 3 },
};

describe("advise rules", () => {
  it("has a case here for every rule", () => {
    expect(Object.keys(FIRES).sort()).to.deep.equal(RULES.map((r) => r.id).sort());
  });

  for (const rule of RULES as readonly Rule[]) {
    describe(rule.id, () => {
      const { evidence, stage } = FIRES[rule.id]!;

      it("fires on its evidence and says why with the figures", () => {
        const a = advise(evidence, stage);
        expect(a.rule).to.equal(rule.id);
        expect(a.next).to.deep.include("stage" in rule.next ? { stage: rule.next.stage } : { technique: rule.next.technique });
        expect(a.next.why).to.include(rule.why);
        for (const e of a.evidence) expect(a.next.why).to.include(e.metric.replace(/_/g, " "));
        expect(a.evidence.length).to.be.greaterThan(0);
      });

      it("does not fire when one of its figures is on the safe side of its threshold", () => {
        const c = rule.when[0]!;
        const safe = { ...evidence, [c.metric]: c.op === ">=" ? c.threshold * 0.5 : c.threshold + Math.max(0.05, c.threshold * 0.5) };
        expect(advise(safe, stage).rule).to.not.equal(rule.id);
      });

      it("does not fire with its evidence missing", () => {
        expect(advise({}, stage).rule).to.equal(null);
      });

      if ("stage" in rule.next) {
        const target = rule.next.stage;
        it(`is passed over at stage ${target} or later`, () => {
          expect(advise(evidence, target).rule).to.not.equal(rule.id);
        });
      }
    });
  }

  it("takes its thresholds from the capacity model", () => {
    expect(THRESHOLDS.cacheHitRatio).to.equal(ASSUMPTIONS.cacheHitRatio);
    expect(THRESHOLDS.dbReadsBusy).to.equal(Math.round(ASSUMPTIONS.replicaReadsPerSecond / 3));
    expect(THRESHOLDS.writesNearPrimary).to.equal(ASSUMPTIONS.primaryWritesPerSecond * 0.8);
  });

  it("needs one of a rule's alternatives: a read-heavy uncached mix on an idle database is no bottleneck", () => {
    const a = advise({ reads_per_write: 100, database_read_share: 1, database_reads_per_second: 20, database_cpu_cores: 0.05, database_pool_waiting: 0 }, 2);
    expect(a.rule).to.equal(null);
    expect(a.bottleneck).to.equal("none");
    expect(a.evidence.map((e) => e.metric)).to.include.members(["reads_per_write", "database_read_share", "database_cpu_cores"]);
  });

  it("on a cached stage 3, the same load is not sent to stage 3 again", () => {
    const a = advise({ reads_per_write: 100, database_read_share: 0.04, cache_hit_ratio: 0.96, database_reads_per_second: 40, database_cpu_cores: 0.1 }, 3);
    expect(a.rule).to.equal(null);
  });
});
