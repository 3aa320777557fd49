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
  url?: "mysql" | "mysql-server" | "redis" | "http";
  /** With --stack, the CLI finds this value among the stack's resources (by their scale:stack tag) when it is not given. */
  fromStack?: "box-instance" | "db-instance" | "group" | "target-group" | "queue" | "dlq";
  /** The value is a whole number in this range, checked before the first step. */
  integer?: { min: number; max: number };
}

export type Params = Readonly<Record<string, string>>;

export interface InterruptedRun {
  params: Params;
  /** Outputs of the steps that completed. */
  outputs: Readonly<Record<string, Record<string, unknown>>>;
  /** What the interrupted step reported with ctx.progress. */
  progress: Readonly<Record<string, unknown>>;
  dryRun: boolean;
}

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
  /** Warnings about these parameters, shown in the preview and the prompt (e.g. a pattern that is the whole keyspace). */
  warnings?(params: Params): string[];
  /** The change this runbook makes outside the stack's program (recorded as `stack.override`, shown as drift). */
  overrides?(params: Params): { resource: string; values: Record<string, unknown>; [field: string]: unknown };
  /** What an interruption inside `step` leaves behind and how to clean up; a generic text otherwise. */
  interrupted?(step: string, run: InterruptedRun): { state: string; cleanup: string } | undefined;
  steps: readonly Step[];
}

/** Thrown by a step's verify when the check fails; the message says what was seen. */
export class VerifyFailed extends Error {
  override name = "VerifyFailed";
}
