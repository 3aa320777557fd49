import { dirFlag, LocalCommand } from "../../lib/local-command.ts";

export default class LocalStatus extends LocalCommand {
  static override description = "Show the local stage: its endpoint and each component's address, pid and health.";
  static override examples = ["<%= config.bin %> local status", "<%= config.bin %> local status --dir /tmp/stage3 --json"];
  static override flags = { dir: dirFlag };

  async run() {
    const { flags } = await this.parse(LocalStatus);
    const { LocalStage } = await import("../../../local/engine.ts");
    const { resolveDir } = await import("../../../local/state.ts");
    const doc = await this.guarded(() => new LocalStage(resolveDir(flags.dir)).status());
    if (!this.jsonEnabled()) {
      this.log(`Stage ${doc.stage} at ${doc.endpoint} (folder ${doc.dir})`);
      if (doc.components.length === 0) this.log("  nothing runs: `scale local up` starts it again");
      for (const c of doc.components) this.log(`  ${c.name.padEnd(20)} ${c.kind.padEnd(8)} ${c.address.padEnd(22)} pid ${String(c.pid ?? "-").padEnd(8)} ${c.health}`);
    }
    return doc;
  }
}
