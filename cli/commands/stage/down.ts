import { StageMoveCommand, moveFlags } from "../../lib/stage-command.ts";

export default class StageDown extends StageMoveCommand {
  static override description =
    "Demote the stack one stage: what it drops is detached from the app first and removed only after a health check.";
  static override examples = [
    "<%= config.bin %> stage down --stack prod",
    "<%= config.bin %> stage down --to 2 --yes",
    "<%= config.bin %> stage down --resume --stack prod --yes",
    "<%= config.bin %> stage down --abort --stack prod",
  ];
  static override flags = moveFlags;

  async run() {
    const { flags } = await this.parse(StageDown);
    return this.move("down", flags);
  }
}
