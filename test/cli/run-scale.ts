/**
 * Run a `scale` command in-process (@oclif/test's runCommand) and report the exit code the shell
 * would see: a thrown error carries it; under --json oclif prints the error and sets
 * process.exitCode instead, which is read and reset here so one test cannot leak into the next.
 */
import { runCommand } from "@oclif/test";

export interface ScaleRun {
  stdout: string;
  stderr: string;
  exit: number;
  message: string | undefined;
}

export async function scale(args: string[]): Promise<ScaleRun> {
  const before = process.exitCode;
  process.exitCode = undefined;
  const { stdout, stderr, error } = await runCommand(args);
  const code = error?.oclif?.exit ?? (process.exitCode as number | undefined) ?? (error ? 1 : 0);
  process.exitCode = before;
  return { stdout, stderr, exit: code, message: error?.message };
}

/** Parse stdout as exactly one JSON document (the contract for --json). */
export function json<T = Record<string, unknown>>(run: ScaleRun): T {
  return JSON.parse(run.stdout) as T;
}
