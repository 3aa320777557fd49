/**
 * What the `scale local` commands share: the --dir flag, and the engine's errors mapped to the exit codes
 * (a missing server binary or a failed step: 1; a folder holding another stage, a bad value: 2).
 */
import { Flags } from "@oclif/core";
import { BaseCommand } from "./base-command.ts";

export const dirFlag = Flags.string({ description: "the local stage's folder (state, logs, data, secrets)", default: ".scale/local" });

export abstract class LocalCommand extends BaseCommand {
  /** Runs `fn`, turning the engine's errors into the documented exits. The engine is imported lazily. */
  protected async guarded<T>(fn: () => Promise<T>): Promise<T> {
    const { LocalUsageError } = await import("../../local/engine.ts");
    const { MissingBinary } = await import("../../local/servers.ts");
    const { LockedError } = await import("../../local/state.ts");
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LocalUsageError) this.usageError(err.message);
      if (err instanceof MissingBinary || err instanceof LockedError) this.failed(err.message);
      if ((err as { oclif?: unknown }).oclif) throw err;
      this.failed((err as Error).message);
    }
  }

  protected progressLine = (line: string) => this.progress(line);
}

/** `--env KEY=VALUE` values as an object; a malformed one is a usage error naming it. */
export function parseEnvFlags(values: string[] | undefined): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(v);
    if (!m) return v;
    out[m[1]!] = m[2]!;
  }
  return out;
}
