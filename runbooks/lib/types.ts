/**
 * A runbook is data: what it is for, which alarms it answers, its parameters and its steps.
 * Each step acts and then verifies (AWS SSM Automation's create-snapshot / verify-snapshot pairs),
 * with a timeout and a rule for what happens when it fails.
 */
import type { StepContext } from "./context.ts";

export type { StepContext };

export interface ParamSpec {
  name: string;
  description: string;
  required?: boolean;
  default?: string;
  /** The value must match, e.g. /^\d+$/. */
  pattern?: RegExp;
  /** Masked in the audit log and in output. */
  secret?: boolean;
  /** The value is a URL of this kind (mysql: with a database name), checked before the first step. */
  url?: "mysql" | "redis" | "http";
  /** The value is a whole number in this range, checked before the first step. */
  integer?: { min: number; max: number };
}

export type Params = Readonly<Record<string, string>>;

export interface Step {
  id: string;
  title: string;
  timeoutSeconds: number;
  /** abort: stop the run here; continue: record the failure and go on. */
  onFailure: "abort" | "continue";
  /** What `verify` checks, shown by --dry-run and `runbook show`. */
  verifies: string;
  /** Change something (or gather facts). Calls that change state go through ctx.aws or ctx.effect so --dry-run can skip them. */
  act(ctx: StepContext): Promise<Record<string, unknown> | void>;
  /** Check the act worked; throw to fail the step. May return facts to record. */
  verify(ctx: StepContext, acted: Record<string, unknown>): Promise<Record<string, unknown> | void>;
}

export interface Runbook {
  id: string;
  title: string;
  /** The symptom or alarm that sends on-call here. */
  whenToUse: string;
  /** Alarm ids from stacks/alarms.ts this runbook answers. */
  answersAlarms: readonly string[];
  params: readonly ParamSpec[];
  /** Checks across parameters (e.g. "one of these two", min <= desired <= max), run before the first step; returns what is wrong, for a usage error. */
  validate?(params: Params): string | undefined;
  /** Changes state: asks for confirmation (or --yes) unless it is a dry run. */
  destructive: boolean;
  /** Calls AWS: the CLI resolves the caller's identity (account, region) before the first step. */
  usesAws?: boolean;
  steps: readonly Step[];
}

/** Thrown by a step's verify when the check fails; the message says what was seen. */
export class VerifyFailed extends Error {
  override name = "VerifyFailed";
}
