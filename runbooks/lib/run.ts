/**
 * Runs a runbook: checks its parameters, then each step's act and verify under the step's timeout,
 * following its on-failure rule, and records every step (inputs, calls, outputs, timing) in the audit log.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuditSink } from "../../cli/lib/audit.ts";
import { lazyAwsClients, type AwsClients, type RecordedCall, type StepContext } from "./context.ts";
import type { Params, Runbook, Step } from "./types.ts";
import { maskParams, scrubber } from "./mask.ts";

export interface RunOptions {
  params: Params;
  dryRun: boolean;
  region: string;
  audit?: AuditSink;
  log?: (line: string) => void;
  /** How often waitFor polls. @default 5000 */
  pollIntervalMs?: number;
  /** Cap on each step's timeout (tests use it to see a timeout without waiting minutes). */
  maxStepTimeoutMs?: number;
  /** Extra audit fields, e.g. the stage transition that called this runbook. */
  context?: Record<string, unknown>;
  /** Aborted when the operator interrupts (SIGINT/SIGTERM): the run stops and records where. */
  signal?: AbortSignal;
}

export type StepStatus = "succeeded" | "failed" | "skipped" | "planned";

export interface StepReport {
  id: string;
  title: string;
  status: StepStatus;
  onFailure: Step["onFailure"];
  verifies: string;
  durationMs: number;
  calls: RecordedCall[];
  effects: string[];
  outputs: Record<string, unknown>;
  error?: string;
}

export interface Interruption {
  /** The step that was running. */
  step: string;
  /** What the interrupted run left behind. */
  state: string;
  /** How to clean up or carry on. */
  cleanup: string;
  /** What the step had reported so far (rows copied, keys removed...). */
  progress: Record<string, unknown>;
}

export interface RunReport {
  runbook: string;
  runId: string;
  dryRun: boolean;
  result: "succeeded" | "failed" | "planned" | "interrupted";
  failedStep?: string;
  interrupted?: Interruption;
  steps: StepReport[];
}

/** The run was stopped by the operator (Ctrl-C, SIGTERM) in the middle of a step. */
class Interrupted extends Error {
  override name = "Interrupted";
}

/** A bad --param: the command turns it into exit 2. */
export class ParamError extends Error {
  override name = "ParamError";
}

/** Check the given parameters against the runbook's specs and fill in defaults. */
export function resolveParams(runbook: Runbook, given: Record<string, string>): Params {
  const known = new Set(runbook.params.map((p) => p.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name))
      throw new ParamError(
        `runbook ${runbook.id} has no parameter "${name}"; it takes: ${[...known].join(", ") || "none"}`,
      );
  }
  const out: Record<string, string> = {};
  for (const spec of runbook.params) {
    const value = given[spec.name] ?? spec.default;
    if (value === undefined) {
      if (spec.required) throw new ParamError(`runbook ${runbook.id} needs --param ${spec.name}=... (${spec.description})`);
      continue;
    }
    if (spec.pattern && !spec.pattern.test(value))
      throw new ParamError(`--param ${spec.name}: "${spec.secret ? "[secret]" : value}" does not match ${spec.pattern} (${spec.description})`);
    const problem = spec.url ? urlProblem(spec.url, value) : spec.integer ? integerProblem(spec.integer, value) : undefined;
    if (problem) throw new ParamError(`--param ${spec.name}: ${problem} (${spec.description})`);
    out[spec.name] = value;
  }
  const problem = runbook.validate?.(out);
  if (problem) throw new ParamError(`runbook ${runbook.id}: ${problem}`);
  return Object.freeze(out);
}

const URL_FORMS = {
  mysql: { protocols: ["mysql:", "mariadb:"], example: "mysql://user:password@host:3306/dbname" },
  /** A MySQL server where no database is needed (a replica's process list). */
  "mysql-server": { protocols: ["mysql:", "mariadb:"], example: "mysql://user:password@host:3306" },
  redis: { protocols: ["redis:", "rediss:"], example: "redis://host:6379 or rediss://:token@host:6379" },
  http: { protocols: ["http:", "https:"], example: "https://app.example.com" },
} as const;

/** What is wrong with a URL parameter, without echoing it (it may hold a password). */
export function urlProblem(kind: keyof typeof URL_FORMS, value: string): string | undefined {
  const form = URL_FORMS[kind];
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `not a URL; write it as ${form.example}`;
  }
  if (!(form.protocols as readonly string[]).includes(u.protocol))
    return `a ${u.protocol.replace(/:$/, "")}:// URL where a ${form.protocols[0].replace(/:$/, "")}:// URL is needed (${form.example})`;
  if (!u.hostname) return `names no host; write it as ${form.example}`;
  if (kind === "mysql" && u.pathname.replace(/^\//, "") === "") return `names no database; add it as the path: ${form.example}`;
  return undefined;
}

function integerProblem(range: { min: number; max: number }, value: string): string | undefined {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) return `"${value}" is not a whole number`;
  if (n < range.min || n > range.max) return `${n} is out of range ${range.min} to ${range.max}`;
  return undefined;
}

/** Parse ["k=v", ...] from --param flags. */
export function parseParamFlags(pairs: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ParamError(`--param "${pair}" is not key=value; write it as --param name=value`);
    const name = pair.slice(0, eq);
    // A repeated name is a mistake to point at, not a value to overwrite silently.
    if (Object.hasOwn(out, name)) throw new ParamError(`--param ${name} is given twice; give each parameter once`);
    out[name] = pair.slice(eq + 1);
  }
  return out;
}

export async function runRunbook(runbook: Runbook, opts: RunOptions): Promise<RunReport> {
  const runId = randomUUID();
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollIntervalMs ?? 5000;
  const cleanups: (() => Promise<unknown>)[] = [];
  const outputs: Record<string, Record<string, unknown>> = {};
  const scrub = scrubber(runbook, opts.params);
  const steps: StepReport[] = [];
  let failedStep: string | undefined;
  let aborted = false;
  let interrupted: Interruption | undefined;

  opts.audit?.record({
    kind: "runbook.start",
    runId,
    runbook: runbook.id,
    dryRun: opts.dryRun,
    params: maskParams(runbook, opts.params),
    ...opts.context,
  });

  try {
    for (const step of runbook.steps) {
      if (aborted) {
        steps.push(report(step, "skipped", 0, [], [], {}));
        continue;
      }
      const calls: RecordedCall[] = [];
      const effects: string[] = [];
      const started = Date.now();
      log(`${opts.dryRun ? "[dry-run] " : ""}${step.id}: ${step.title}`);
      const controller = new AbortController();
      const timeoutMs = Math.min(step.timeoutSeconds * 1000, opts.maxStepTimeoutMs ?? Infinity);
      const progress: Record<string, unknown> = {};
      const ctx = makeContext(opts, controller.signal, calls, effects, outputs, pollMs, log, cleanups, progress);
      let status: StepStatus;
      let stepOutputs: Record<string, unknown> = {};
      let error: string | undefined;
      try {
        stepOutputs = await withTimeout(
          async () => {
            const acted = (await step.act(ctx)) ?? {};
            if (opts.dryRun) return acted;
            const verified = (await step.verify(ctx, acted)) ?? {};
            return { ...acted, ...verified };
          },
          timeoutMs,
          controller,
          step,
          opts.signal,
        );
        status = opts.dryRun ? "planned" : "succeeded";
      } catch (err) {
        if (err instanceof Interrupted) {
          const left = runbook.interrupted?.(step.id, { params: opts.params, outputs, progress, dryRun: opts.dryRun });
          interrupted = {
            step: step.id,
            state: scrub(left?.state ?? (opts.dryRun ? "nothing was changed (dry run)" : `stopped inside ${step.id}: ${step.title}; the steps before it completed`)),
            cleanup: scrub(left?.cleanup ?? `check what ${step.id} had done (\`scale runbook show ${runbook.id}\`), then run the runbook again`),
            progress: JSON.parse(scrub(JSON.stringify(progress))),
          };
          log(`  interrupted in ${step.id}`);
          opts.audit?.record({ kind: "runbook.interrupted", runId, runbook: runbook.id, dryRun: opts.dryRun, ...interrupted });
          steps.push(report(step, "failed", Date.now() - started, calls, effects, progress, "interrupted"));
          failedStep = step.id;
          break;
        }
        status = "failed";
        error = scrub((err as Error).message ?? String(err));
        if (step.onFailure === "abort") aborted = true;
        failedStep ??= step.id;
        log(`  failed: ${error}${step.onFailure === "abort" ? " (aborting)" : " (continuing)"}`);
      }
      outputs[step.id] = stepOutputs;
      const r = report(step, status, Date.now() - started, calls, effects, stepOutputs, error);
      steps.push(r);
      opts.audit?.record({
        kind: "runbook.step",
        runId,
        runbook: runbook.id,
        step: step.id,
        dryRun: opts.dryRun,
        inputs: maskParams(runbook, opts.params),
        calls: JSON.parse(scrub(JSON.stringify(calls))),
        effects: effects.map(scrub),
        outputs: JSON.parse(scrub(JSON.stringify(stepOutputs))),
        status,
        startedAt: new Date(started).toISOString(),
        durationMs: r.durationMs,
        ...(error ? { error } : {}),
      });
    }
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => {});
  }

  const result = interrupted ? "interrupted" : failedStep ? "failed" : opts.dryRun ? "planned" : "succeeded";
  // A change made behind the stack's back: the next stack update reverts it, so `stage status` reports it as drift.
  if (result === "succeeded" && runbook.overrides)
    opts.audit?.record({ kind: "stack.override", runId, runbook: runbook.id, ...runbook.overrides(opts.params), ...opts.context });
  opts.audit?.record({ kind: "runbook.end", runId, runbook: runbook.id, dryRun: opts.dryRun, result, failedStep });
  return {
    runbook: runbook.id,
    runId,
    dryRun: opts.dryRun,
    result,
    ...(failedStep ? { failedStep } : {}),
    ...(interrupted ? { interrupted } : {}),
    steps,
  };
}

function report(
  step: Step,
  status: StepStatus,
  durationMs: number,
  calls: RecordedCall[],
  effects: string[],
  outputs: Record<string, unknown>,
  error?: string,
): StepReport {
  return {
    id: step.id,
    title: step.title,
    status,
    onFailure: step.onFailure,
    verifies: step.verifies,
    durationMs,
    calls,
    effects,
    outputs,
    ...(error ? { error } : {}),
  };
}

async function withTimeout<T>(
  work: () => Promise<T>,
  ms: number,
  controller: AbortController,
  step: Step,
  operator?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`step ${step.id} timed out after ${Math.round(ms / 1000)} s`);
      controller.abort(err);
      reject(err);
    }, ms);
    onAbort = () => {
      const err = new Interrupted(`interrupted during ${step.id}`);
      controller.abort(err);
      reject(err);
    };
    if (operator?.aborted) onAbort();
    else operator?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) operator?.removeEventListener("abort", onAbort);
  }
}

function makeContext(
  opts: RunOptions,
  signal: AbortSignal,
  calls: RecordedCall[],
  effects: string[],
  outputs: Record<string, Record<string, unknown>>,
  pollMs: number,
  log: (line: string) => void,
  cleanups: (() => Promise<unknown>)[],
  progress: Record<string, unknown>,
): StepContext {
  const aws: AwsClients = lazyAwsClients(opts.region, calls, opts.dryRun);
  return {
    params: opts.params,
    dryRun: opts.dryRun,
    outputs,
    aws,
    signal,
    async effect(description, action) {
      effects.push(description);
      if (opts.dryRun) {
        log(`  would: ${description}`);
        return undefined;
      }
      return action();
    },
    async waitFor(what, probe) {
      const started = Date.now();
      for (;;) {
        if (signal.aborted) throw new Error(`gave up waiting for ${what}: ${(signal.reason as Error)?.message}`);
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        log(`  waiting for ${what} (${Math.round((Date.now() - started) / 1000)} s)`);
        await sleep(pollMs, undefined, { signal }).catch(() => {});
      }
    },
    log: (line) => log(`  ${line}`),
    onCleanup(close) {
      cleanups.push(close);
    },
    progress(facts) {
      Object.assign(progress, facts);
    },
  };
}
