/** The CLI's exit codes (../shared/contracts.md §1). Every command exits through one of these. */
export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** The operation failed: a check, a step, a remote call. */
  Failed: 1,
  /** Usage error: bad flag, bad value, unknown stage or runbook. */
  Usage: 2,
  /** Refused for safety: data would be lost, or a destructive run without --yes and no TTY. */
  Refused: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
