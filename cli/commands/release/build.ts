import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";

export default class ReleaseBuild extends BaseCommand {
  static override description =
    "Build the service into one archive, scale-app-<version>.tar.gz: compiled JavaScript, production packages and the Node.js it runs on. The version is a hash of the sources, so the same sources give the same archive.";
  static override examples = [
    "<%= config.bin %> release build",
    "<%= config.bin %> release build --out dist/releases --json",
  ];
  static override flags = {
    out: Flags.string({ description: "folder for the archive", default: ".scale/releases" }),
  };

  async run() {
    const { flags } = await this.parse(ReleaseBuild);
    // The build drives TypeScript, npm and node-gyp: loaded only here.
    const { buildRelease } = await import("../../../release/build.ts");
    let built;
    try {
      built = await buildRelease({ root: process.cwd(), outDir: flags.out, log: (line) => this.progress(line) });
    } catch (err) {
      this.failed(`release build failed: ${(err as Error).message}`, ["run it from the repository's root after npm ci"]);
    }
    if (!this.jsonEnabled()) this.log(`${built.file}\n  version ${built.version}, Node ${built.node}, ${built.bytes} bytes, sha256 ${built.sha256}`);
    return built;
  }
}
