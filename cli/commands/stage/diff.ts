import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { STAGE_IDS } from "../../../stacks/stages.ts";

export default class StageDiff extends BaseCommand {
  static override description =
    "What a change to the stacks does to every stage: plans each stage offline at a git ref (REF's files extracted " +
    "to a temporary folder) and in the working tree, and reviews each pair as a stack at that stage would see it: " +
    "changes with old and new values, stateful resources, the transition guard, runtime per tier and cost.";
  static override examples = [
    "<%= config.bin %> stage diff --base HEAD~1 --markdown",
    "<%= config.bin %> stage diff --base origin/main --stage 3 --json",
    "<%= config.bin %> stage diff --base origin/main --install-base --markdown --check",
  ];
  static override flags = {
    base: Flags.string({ description: "the git ref to compare with (a branch, tag or commit, e.g. origin/main)", required: true }),
    stage: Flags.integer({ description: `only this stage (${STAGE_IDS.join(", ")}); default: every stage` }),
    markdown: Flags.boolean({ description: "print the report as markdown (for a pull-request comment, under 65,536 characters)", exclusive: ["json"] }),
    check: Flags.boolean({ description: "exit 3 when the transition guard refuses the change at any stage" }),
    config: Flags.string({ description: "a Pulumi.<stack>.yaml used on both sides (default: each side's Pulumi.example.yaml)" }),
    "install-base": Flags.boolean({ description: "when REF's package-lock.json differs from the working tree's, run npm ci in REF's copy" }),
  };

  async run() {
    const { flags } = await this.parse(StageDiff);
    if (flags.stage !== undefined && !STAGE_IDS.includes(flags.stage as never)) this.usageError(`--stage ${flags.stage} is not a stage: use one of ${STAGE_IDS.join(", ")}`, ["scale stage list"]);
    const { checkoutBase, planTree, resolveRef, BaseTreeUsageError, TREE_ROOT } = await import("../../lib/base-tree.ts");
    const { diffTrees, diffJson, diffMarkdown, formatDiff, refused } = await import("../../lib/stage-diff.ts");
    const { resolve } = await import("node:path");
    const stages = flags.stage === undefined ? [] : [flags.stage];
    const config = flags.config ? resolve(flags.config) : undefined;
    let base;
    try {
      base = await checkoutBase(TREE_ROOT, flags.base, { install: flags["install-base"], log: (line) => this.progress(line) });
    } catch (error) {
      if (error instanceof BaseTreeUsageError) this.usageError(error.message, error.suggestions);
      throw error;
    }
    try {
      this.progress(`planning ${stages.length ? `stage ${stages[0]}` : "every stage"} at ${flags.base} (${base.commit.slice(0, 12)}) and in the working tree`);
      const [basePlans, headPlans, headCommit, dirty] = await Promise.all([
        planTree(base.dir, stages, config),
        planTree(TREE_ROOT, stages, config),
        resolveRef(TREE_ROOT, "HEAD").catch(() => "(no commit)"),
        this.dirty(TREE_ROOT),
      ]);
      const report = { base: { ref: flags.base, commit: base.commit }, head: { ref: "working tree", commit: headCommit, dirty }, stages: diffTrees(basePlans, headPlans) };
      if (flags.markdown) this.log(diffMarkdown(report));
      else if (!this.jsonEnabled()) for (const line of formatDiff(report)) this.log(line);
      const broken = report.stages.filter((s) => s.status === "error");
      if (broken.length > 0) this.failed(`stage ${broken.map((s) => `${s.stage}: ${s.error}`).join("; stage ")}`, ["run scale stage plan --stage N in each tree to see the error"]);
      const refusedAt = refused(report);
      if (flags.check && refusedAt.length > 0) {
        const first = refusedAt[0]!.review!.guard.violations[0]!;
        this.refuse(`the transition guard refuses this change at stage ${refusedAt.map((s) => s.stage).join(", ")} (the report lists every reason), e.g. at stage ${refusedAt[0]!.stage}: ${first.message}`,
          ["keep the stateful resource, or mark it retainOnDelete and protect it (see docs/stacks.md)"]);
      }
      return diffJson(report);
    } finally {
      await base.remove();
    }
  }

  private async dirty(root: string): Promise<boolean> {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { stdout } = await promisify(execFile)("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]);
    return stdout.trim().length > 0;
  }
}
