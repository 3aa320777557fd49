import { Flags } from "@oclif/core";
import { dirFlag, LocalCommand } from "../../lib/local-command.ts";

export default class LocalDown extends LocalCommand {
  static override description = "Stop every process the local stage started; --purge also removes its folder (data included).";
  static override examples = ["<%= config.bin %> local down", "<%= config.bin %> local down --purge --json"];
  static override flags = { dir: dirFlag, purge: Flags.boolean({ description: "also remove the folder: data, secrets, logs", default: false }) };

  async run() {
    const { flags } = await this.parse(LocalDown);
    const { LocalStage } = await import("../../../local/engine.ts");
    const { resolveDir } = await import("../../../local/state.ts");
    const result = await this.guarded(() => new LocalStage(resolveDir(flags.dir)).down(flags.purge));
    if (!this.jsonEnabled()) this.log(`Stopped ${result.stopped.length} processes${result.purged ? ` and removed ${result.dir}` : ""}.`);
    return result;
  }
}
