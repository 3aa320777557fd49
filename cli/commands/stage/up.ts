import { StageMoveCommand, moveFlags } from "../../lib/stage-command.ts";

export default class StageUp extends StageMoveCommand {
  static override description =
    "Promote the stack one stage: safety check, preview, confirm, data steps, update, health check, audit record.";
  static override examples = [
    "<%= config.bin %> stage up --resume --stack prod --yes",
    "<%= config.bin %> stage up --abort --stack prod",
    "<%= config.bin %> stage up --stack prod",
    "<%= config.bin %> stage up --to 1 --param source=mysql://app@10.0.1.5/app --param 'target=mysql://app:PW@{databaseEndpoint}/app' --yes",
  ];
  static override flags = moveFlags;

  async run() {
    const { flags } = await this.parse(StageUp);
    return this.move("up", flags);
  }
}
