import { Command } from "@oclif/core";
import { ExitCode } from "./exit-codes.ts";

/**
 * The project's base command: every error leaves through one of the documented exit codes
 * with a message that says what was wrong and what to do.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  /** A usage mistake (bad flag value, unknown stage or runbook): exit 2. */
  protected usageError(message: string, suggestions?: string[]): never {
    this.error(message, { exit: ExitCode.Usage, code: "USAGE", suggestions });
  }

  /** Refused for safety (data would be lost, destructive without --yes): exit 3. */
  protected refuse(message: string, suggestions?: string[]): never {
    this.error(message, { exit: ExitCode.Refused, code: "REFUSED", suggestions });
  }

  /** The operation failed (a check, a step, a remote call): exit 1. */
  protected failed(message: string, suggestions?: string[]): never {
    this.error(message, { exit: ExitCode.Failed, code: "FAILED", suggestions });
  }
}
