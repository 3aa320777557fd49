import { Flags } from "@oclif/core";
import { dirFlag, LocalCommand, parseEnvFlags } from "../../lib/local-command.ts";

export default class LocalUp extends LocalCommand {
  static override description =
    "Run stage N on this machine from real servers (MariaDB, Redis, HAProxy, S3/SQS stand-ins, the service), behind one endpoint.";
  static override examples = [
    "<%= config.bin %> local up --stage 0",
    "<%= config.bin %> local up --stage 3 --dir /tmp/stage3 --json",
    "<%= config.bin %> local up --stage 2 --env RATE_LIMIT_PER_MINUTE=0",
    "<%= config.bin %> local up --stage 0 --release .scale/releases/scale-app-0123456789abcdef.tar.gz",
  ];
  static override flags = {
    stage: Flags.integer({ description: "the stage to run (0-5)", required: true }),
    dir: dirFlag,
    release: Flags.string({
      description: "a scale-app-<version>.tar.gz to run, or `source` for the checkout through tsx [default: the checkout's release, built once and cached]",
    }),
    env: Flags.string({ description: "KEY=VALUE set on every app process (e.g. for a load test); repeatable", multiple: true }),
  };

  async run() {
    const { flags } = await this.parse(LocalUp);
    const { isStageId, STAGE_IDS } = await import("../../../stacks/stages.ts");
    if (!isStageId(flags.stage)) this.usageError(`unknown stage ${flags.stage}: the stages are ${STAGE_IDS.join(", ")}`);
    const overrides = parseEnvFlags(flags.env);
    if (typeof overrides === "string") this.usageError(`--env ${overrides}: give KEY=VALUE with an upper-case KEY`);
    const { LocalStage } = await import("../../../local/engine.ts");
    const { resolveDir } = await import("../../../local/state.ts");
    const { releaseLauncher, sourceLauncher } = await import("../../../local/launcher.ts");
    const dir = resolveDir(flags.dir);
    const doc = await this.guarded(async () => {
      const launcher = flags.release === "source" ? sourceLauncher() : await releaseLauncher(dir, { file: flags.release, log: this.progressLine });
      return new LocalStage(dir, { progress: this.progressLine, launcher }).up(flags.stage, overrides);
    });
    if (!this.jsonEnabled()) {
      this.log(`Stage ${doc.stage} runs at ${doc.endpoint} (folder ${doc.dir})`);
      for (const c of doc.components) this.log(`  ${c.name.padEnd(20)} ${c.kind.padEnd(8)} ${c.address.padEnd(22)} pid ${c.pid ?? "-"}`);
      for (const r of doc.reported ?? []) this.log(`  (${r})`);
    }
    return { stage: doc.stage, endpoint: doc.endpoint, dir: doc.dir, components: doc.components };
  }
}
