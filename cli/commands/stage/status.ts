import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { loadConfig } from "../../lib/config.ts";
import { PulumiCliMissing } from "../../lib/engine.ts";
import { loadLadder, type StageInfo } from "../../lib/ladder.ts";
import { stageDeps } from "../../lib/stage-deps.ts";

export default class StageStatus extends BaseCommand {
  static override description = "Show the stack's current stage, what the next stage adds, and the deployment's endpoints.";
  static override examples = ["<%= config.bin %> stage status", "<%= config.bin %> stage status --stack prod --json"];
  static override flags = { stack: Flags.string({ description: "Pulumi stack [env: SCALE_STACK; default dev]" }) };

  async run() {
    const { flags } = await this.parse(StageStatus);
    const stack = flags.stack ?? (await loadConfig()).stack;
    let stage: number | undefined;
    let outputs: Record<string, unknown>;
    try {
      const engine = await stageDeps().engine();
      stage = await engine.currentStage(stack);
      outputs = await engine.outputs(stack);
    } catch (err) {
      if (err instanceof PulumiCliMissing) this.failed(err.message);
      throw err;
    }
    const ladder = await loadLadder();
    const current: StageInfo | undefined = ladder.find((s) => s.id === stage);
    const next: StageInfo | undefined = stage === undefined ? ladder[0] : ladder.find((s) => s.id === stage + 1);
    const deployed = Object.keys(outputs).length > 0;
    const endpoints = {
      endpoint: outputs.endpoint ?? null,
      databaseEndpoint: outputs.databaseEndpoint ?? null,
      replicaEndpoints: outputs.replicaEndpoints ?? [],
      cacheEndpoint: outputs.cacheEndpoint || null,
    };
    if (!this.jsonEnabled()) {
      this.log(`Stack ${stack}: ${current ? `stage ${current.id} (${current.name}): ${current.summary}` : "no stage set"}`);
      if (deployed) for (const [k, v] of Object.entries(endpoints)) this.log(`  ${k}: ${Array.isArray(v) ? v.join(", ") || "-" : (v ?? "-")}`);
      else this.log("  nothing deployed yet");
      this.log(next ? `Next: stage ${next.id} (${next.name}): ${next.summary}${next.promoteWhen ? ` Promote when: ${next.promoteWhen}.` : ""}` : "Top of the ladder.");
    }
    return { stack, stage: stage ?? null, name: current?.name ?? null, deployed, ...endpoints, next: next ?? null };
  }
}
