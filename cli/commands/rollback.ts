import { DeployCommandBase, targetFlags } from "../lib/deploy-command.ts";

export default class Rollback extends DeployCommandBase {
  static override description =
    "Return to the release deployed before the current one (from the audit log and the stack's release config), " +
    "rolled through every tier like a deploy.";
  static override examples = ["<%= config.bin %> rollback --stack prod --yes", "<%= config.bin %> rollback --local --json"];
  static override flags = targetFlags;

  async run() {
    const { flags } = await this.parse(Rollback);
    return this.deploy(flags, true);
  }
}
