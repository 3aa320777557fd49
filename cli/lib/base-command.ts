import { Command, ux } from "@oclif/core";
import { ExitCode } from "./exit-codes.ts";
import { isOperatorMistake } from "./errors.ts";

interface OclifError extends Error {
  code?: string;
  oclif?: { exit?: number };
  suggestions?: string[];
}

/**
 * The project's base command: every error leaves through one of the documented exit codes
 * with a message that says what was wrong and what to do.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  override async init(): Promise<void> {
    // The SDK warns on every run that Node 20 support ends; the operator can do nothing about it
    // here (releases ship their own Node), so the CLI does not pass the warning on.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    await super.init();
  }

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

  /** Progress for the operator: always stderr, also under --json (where oclif's logToStderr stays silent). */
  protected progress(line: string): void {
    ux.stderr(line);
  }

  // oclif's own catch, under --json, sets the exit code from `err.exitCode` (which CLIError lacks),
  // so every --json error would exit 1: take the documented code from `err.oclif.exit` first.
  override async catch(err: OclifError & { exitCode?: number }): Promise<unknown> {
    // A mistake found below the command (environment, audit path, parameters) leaves as a usage error.
    if (isOperatorMistake(err)) {
      try {
        this.usageError(err.message, err.suggestions.length ? err.suggestions : undefined);
      } catch (usage) {
        err = usage as OclifError;
      }
    }
    if (this.jsonEnabled() && err.oclif?.exit !== undefined) process.exitCode = err.oclif.exit;
    return super.catch(err);
  }

  // The default JSON error drops the message (Error's fields are not enumerable): spell it out.
  protected override toErrorJson(err: unknown): unknown {
    const e = err as OclifError;
    return {
      error: {
        message: e.message,
        code: e.code,
        exit: e.oclif?.exit ?? ExitCode.Failed,
        ...(e.suggestions?.length ? { suggestions: e.suggestions } : {}),
      },
    };
  }
}
