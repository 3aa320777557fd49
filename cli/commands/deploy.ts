import { Flags } from "@oclif/core";
import { DeployCommandBase, targetFlags } from "../lib/deploy-command.ts";

export default class Deploy extends DeployCommandBase {
  static override description =
    "Roll a release through every tier, one server at a time behind the load balancer: on AWS a new launch template " +
    "version and an instance refresh per tier (the box swaps in place), locally one process at a time out of HAProxy. " +
    "A release that does not become ready is rolled back.";
  static override examples = [
    "<%= config.bin %> deploy --stack prod --release .scale/releases/scale-app-1.4.0.tar.gz --yes",
    "<%= config.bin %> deploy --local --release 1.4.0 --json",
  ];
  static override flags = {
    ...targetFlags,
    release: Flags.string({ description: "the archive (FILE) or its VERSION in --releases-dir; default: build this checkout" }),
  };

  async run() {
    const { flags } = await this.parse(Deploy);
    return this.deploy(flags, false);
  }
}
