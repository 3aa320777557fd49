import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { loadConfig } from "../../lib/config.ts";
import type { StackStatus } from "../../lib/stack-status.ts";

export default class StageStatus extends BaseCommand {
  static override description =
    "Where the stack is, without the Pulumi CLI: the stage and the last move (audit log), alarms in ALARM, unhealthy targets, " +
    "the release each tier runs (AWS APIs, resources found by their scale:stack tag), and drift from the stack.";
  static override examples = [
    "<%= config.bin %> stage status --stack prod",
    "<%= config.bin %> stage status --stack prod --refresh --json",
  ];
  static override flags = {
    stack: Flags.string({ description: "the stack [env: SCALE_STACK; default dev]" }),
    refresh: Flags.boolean({ description: "also compare the live Auto Scaling groups with the stage's program (plans offline, a few seconds)" }),
    "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
    region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
  };

  async run(): Promise<StackStatus & { identity: unknown; next: unknown }> {
    const { flags } = await this.parse(StageStatus);
    const config = await loadConfig();
    const { checkRegion, resolveIdentity } = await import("../../lib/identity.ts");
    const { stackStatus } = await import("../../lib/stack-status.ts");
    const { stageDeps } = await import("../../lib/stage-deps.ts");
    const stack = flags.stack ?? config.stack;
    const region = flags.region ?? config.region;
    checkRegion(region, flags.region ? "--region" : "AWS_REGION");
    const identity = await resolveIdentity({ stack, region, aws: true });
    let status: StackStatus;
    try {
      status = await stackStatus(
        { stack, region, auditPath: flags["audit-log"] ?? config.auditLog, refresh: flags.refresh },
        { plan: async (stage) => (await stageDeps().planner()).plan(stage) },
      );
    } catch (err) {
      this.failed(`reading stack ${stack} from AWS failed: ${(err as Error).message}`, ["check the region and that your role may Describe* EC2, Auto Scaling, ELB, RDS, SQS and CloudWatch"]);
    }
    const { loadLadder } = await import("../../lib/ladder.ts");
    const ladder = await loadLadder();
    const next = (status.stage === null ? ladder[0] : ladder.find((s) => s.id === status.stage! + 1)) ?? null;
    if (!this.jsonEnabled()) {
      const { printStatus } = await import("../../lib/status-format.ts");
      printStatus(status, identity, (l) => this.log(l));
      this.log(next ? `Next: stage ${next.id} (${next.name}): ${next.summary}${next.promoteWhen ? ` Promote when: ${next.promoteWhen}.` : ""}` : "Top of the ladder.");
    }
    return { ...status, identity, next };
  }
}
