import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { STAGE_IDS, isStageId } from "../../../stacks/stages.ts";

export default class StagePlan extends BaseCommand {
  static override description =
    "Show what a stage provisions, offline: runs the Pulumi program under the SDK's mocks (no cloud credentials, " +
    "no Pulumi CLI). With --from, also the changes of the move from that stage: old and new values, what holds data, " +
    "the transition guard's verdict, each tier's runtime changes and the monthly cost of both stages. --markdown " +
    "prints the same as a pull-request comment (under GitHub's 65,536 characters).";
  static override examples = [
    "<%= config.bin %> stage plan --stage 2",
    "<%= config.bin %> stage plan --stage 3 --from 2 --json",
    "<%= config.bin %> stage plan --stage 2 --from 1 --markdown --check",
    "<%= config.bin %> stage plan --stage 1 --config Pulumi.prod.yaml",
  ];
  static override flags = {
    stage: Flags.integer({ description: `the stage to plan (${STAGE_IDS.join(", ")})`, required: true }),
    from: Flags.integer({ description: "the stage the stack is at now: adds the change list" }),
    config: Flags.string({ description: "a Pulumi.<stack>.yaml (default: the repo's Pulumi.example.yaml)" }),
    markdown: Flags.boolean({ description: "print the report as markdown (for a pull-request comment)", exclusive: ["json"] }),
    check: Flags.boolean({ description: "exit 3 when the transition guard refuses the move (or, without --from, an unprotected stateful resource)" }),
  };

  async run() {
    const { flags } = await this.parse(StagePlan);
    for (const [flag, value] of [["--stage", flags.stage], ["--from", flags.from]] as const) {
      if (value !== undefined && !isStageId(value)) this.usageError(`${flag} ${value} is not a stage: use one of ${STAGE_IDS.join(", ")}`, ["scale stage list"]);
    }
    // Pulumi costs a second or two to load: only now, never for --help.
    const { planStage } = await import("../../../stacks/plan.ts");
    const { StackConfigError } = await import("../../../stacks/config.ts");
    const { planJson, formatPlan, formatChanges, formatGuard, formatRuntimeChanges } = await import("../../lib/plan-format.ts");
    const { formatPlanCost } = await import("../../lib/cost.ts");
    const { reviewPlans, reviewJson, guardStage } = await import("../../lib/plan-report.ts");
    const { moveMarkdown, stageMarkdown } = await import("../../lib/plan-markdown.ts");
    let to, from;
    try {
      to = await planStage(flags.stage, { configFile: flags.config });
      from = flags.from === undefined ? undefined : await planStage(flags.from, { configFile: flags.config });
    } catch (error) {
      if (error instanceof StackConfigError) this.usageError(error.message, ["fix the key in the config file named by --config (default Pulumi.example.yaml)"]);
      throw error;
    }
    const review = from ? reviewPlans(from, to) : undefined;
    const guard = review ? review.guard : guardStage(to);
    if (flags.markdown) this.log(review ? moveMarkdown(review) : stageMarkdown(to, guard));
    else if (!this.jsonEnabled()) {
      for (const line of from && review ? formatChanges(from, to, review.changes) : formatPlan(to)) this.log(line);
      if (review) for (const line of formatRuntimeChanges(review.runtime)) this.log(line);
      for (const line of formatPlanCost(to, from)) this.log(line);
      for (const line of formatGuard(guard)) this.log(line);
    }
    if (flags.check && guard.verdict === "refused") {
      this.refuse(`the transition guard refuses ${from ? `the move from stage ${from.stage} to ${to.stage}` : `stage ${to.stage}`}: ${guard.violations.map((v) => v.message).join("; ")}`,
        ["keep the stateful resource, or mark it retainOnDelete and protect it (see docs/stacks.md)"]);
    }
    return { ...planJson(to), ...(review ? reviewJson(review) : {}) };
  }
}
