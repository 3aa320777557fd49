import { expect } from "chai";
import { planStage, type Plan, type PlannedResource } from "../../../stacks/plan.ts";
import { fitBlocks, GITHUB_COMMENT_LIMIT, moveMarkdown, REPORT_BUDGET, code } from "../../../cli/lib/plan-markdown.ts";
import { reviewPlans, valueChanges, runtimeChanges } from "../../../cli/lib/plan-report.ts";

/**
 * A very large change built from the real stage-5 plan: every cloud resource copied 40 times (creates), and every
 * original given another tag and a longer description (updates with values).
 */
function enlarge(plan: Plan): Plan {
  const cloud = plan.resources.filter((r) => r.type.startsWith("aws:"));
  const copies: PlannedResource[] = [];
  for (let k = 1; k <= 40; k++) for (const r of cloud) copies.push({ ...r, urn: `${r.urn}-copy-${k}`, name: `${r.name}-copy-${k}` });
  const changed = plan.resources.map((r) => (r.type.startsWith("aws:") ? { ...r, inputs: { ...r.inputs, tags: { ...(r.inputs.tags as object), "cost-centre": "growth-team-".repeat(8) } } } : r));
  return { ...plan, resources: [...changed, ...copies] };
}

describe("the markdown report", function () {
  this.timeout(120_000);
  let stage5: Plan;
  before(async () => {
    stage5 = await planStage(5);
  });

  it("summarises a very large change to stay under GitHub's comment limit, keeping the verdict, cost and stateful list", () => {
    const review = reviewPlans(stage5, enlarge(stage5));
    expect(review.changes.length).to.be.above(5000);
    const whole = moveMarkdown(review, Number.MAX_SAFE_INTEGER);
    expect(whole.length, "the unsummarised report must be over the limit for this test to mean anything").to.be.above(GITHUB_COMMENT_LIMIT);
    const md = moveMarkdown(review);
    expect(md.length).to.be.at.most(REPORT_BUDGET).and.below(GITHUB_COMMENT_LIMIT);
    expect(md).to.include("**Transition guard: allowed.**");
    expect(md).to.match(/\| total \| \$432\.29 \| \$[\d,]+\.\d\d \| \*\*\+\$[\d,]+\.\d\d\*\* \|/);
    expect(md).to.include("**Stateful, protected or retained resources touched:**");
    expect(md).to.match(/_\d+ section\(s\) summarised to stay under GitHub's comment limit/);
    // A summarised component still says what happens to it.
    expect(md).to.match(/^- db \(scale:aws:Database\): \d+ create, \d+ update \(values left out\)$/m);
  });

  it("cuts, and says so, when even the summaries do not fit", () => {
    const text = fitBlocks([{ full: "x".repeat(70_000) }]);
    expect(text.length).to.equal(REPORT_BUDGET);
    expect(text).to.match(/cut here at GitHub's comment limit: run the command locally for the whole report\._\n$/);
  });

  it("keeps inline code intact around backticks and long values", () => {
    expect(code("a`b")).to.equal("`` a`b ``"); // CommonMark strips one space on each side
    expect(code("y".repeat(300))).to.have.length(102).and.match(/…`$/);
  });
});

describe("the review's values", () => {
  it("names each differing leaf with its old and new value, and a missing side as absent", () => {
    expect(valueChanges("origins", [{ domainName: "box", port: 80 }], [{ domainName: "alb", port: 80 }, { domainName: "s3" }])).to.deep.equal([
      { path: "origins[0].domainName", old: "box", new: "alb" },
      { path: "origins[1]", new: { domainName: "s3" } },
    ]);
    expect(valueChanges("multiAz", false, true)).to.deep.equal([{ path: "multiAz", old: false, new: true }]);
    expect(valueChanges("same", { a: [1] }, { a: [1] })).to.deep.equal([]);
  });

  it("gives each tier's runtime changes: tiers added and removed, settings changed", () => {
    const changes = runtimeChanges(
      [{ tier: "box", env: { PORT: "8080", REDIS_URL: "redis://a" } }],
      [{ tier: "box", env: { PORT: "8081" } }, { tier: "read", env: { PORT: "8080" } }],
    );
    expect(changes).to.deep.equal([
      { tier: "box", action: "changed", env: [{ name: "PORT", old: "8080", new: "8081" }, { name: "REDIS_URL", old: "redis://a" }], migrate: [] },
      { tier: "read", action: "added", env: [{ name: "PORT", new: "8080" }], migrate: [] },
    ]);
  });
});
