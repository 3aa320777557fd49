import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { STAGE_IDS, isStageId } from "../../../stacks/stages.ts";

export default class StagePlan extends BaseCommand {
  static override description =
    "Show what a stage provisions, offline: runs the Pulumi program under the SDK's mocks (no cloud credentials, " +
    "no Pulumi CLI). With --from, also the changes of the move from that stage.";
  static override examples = [
    "<%= config.bin %> stage plan --stage 2",
    "<%= config.bin %> stage plan --stage 3 --from 2 --json",
    "<%= config.bin %> stage plan --stage 1 --config Pulumi.prod.yaml",
  ];
  static override flags = {
    stage: Flags.integer({ description: `the stage to plan (${STAGE_IDS.join(", ")})`, required: true }),
    from: Flags.integer({ description: "the stage the stack is at now: adds the change list" }),
    config: Flags.string({ description: "a Pulumi.<stack>.yaml (default: the repo's Pulumi.example.yaml)" }),
  };

  async run() {
    const { flags } = await this.parse(StagePlan);
    for (const [flag, value] of [["--stage", flags.stage], ["--from", flags.from]] as const) {
      if (value !== undefined && !isStageId(value)) this.usageError(`${flag} ${value} is not a stage: use one of ${STAGE_IDS.join(", ")}`, ["scale stage list"]);
    }
    // Pulumi costs a second or two to load: only now, never for --help.
    const { planStage, diffPlans } = await import("../../../stacks/plan.ts");
    const { StackConfigError } = await import("../../../stacks/config.ts");
    const { planJson, formatPlan, formatChanges } = await import("../../lib/plan-format.ts");
    try {
      const to = await planStage(flags.stage, { configFile: flags.config });
      const from = flags.from === undefined ? undefined : await planStage(flags.from, { configFile: flags.config });
      const changes = from ? diffPlans(from, to) : undefined;
      if (!this.jsonEnabled()) {
        for (const line of from && changes ? formatChanges(from, to, changes) : formatPlan(to)) this.log(line);
      }
      return planJson(to, changes);
    } catch (error) {
      if (error instanceof StackConfigError) this.usageError(error.message, ["fix the key in the config file named by --config (default Pulumi.example.yaml)"]);
      throw error;
    }
  }
}
