/**
 * A stage move, step by step: check the move, the offline safety check, preview, confirm, the
 * move's own before-steps, update, verify through the new endpoint, and an audit record whatever
 * the outcome. Moves that move data or remove anything run expand-then-contract: first an update
 * limited to what is created (0 -> 1) or to everything but the removals, then the data step or a
 * health check, then the full update that switches the app over and removes what is no longer used.
 */
import { openAudit, readAudit, type AuditSink } from "./audit.ts";
import type { Confirmation } from "./confirm.ts";
import type { Identity } from "./identity.ts";
import type { StageDeps } from "./stage-deps.ts";
import type { ChangeLike, PlanLike } from "./planner.ts";
import { runRunbook, resolveParams } from "../../runbooks/lib/run.ts";
import { migrateBoxToRds } from "../../runbooks/migrate-box-to-rds.ts";

export const LOWEST_STAGE = 0;
export const HIGHEST_STAGE = 5;

export interface TransitionRequest {
  stack: string;
  direction: "up" | "down";
  to?: number;
  params: Record<string, string>;
  configFile?: string;
  auditPath: string;
  operator: string;
  region: string;
  /** Who the move acts as: in the prompt and in every audit record of the move. */
  identity?: Identity;
  log: (line: string) => void;
  confirm: (question: string) => Promise<Confirmation>;
}

export interface TransitionStep {
  id: string;
  status: "succeeded" | "failed" | "refused" | "skipped";
  durationMs: number;
  detail?: unknown;
}

export interface TransitionReport {
  stack: string;
  from: number;
  to: number;
  result: "succeeded" | "unchanged";
  steps: TransitionStep[];
  outputs: Record<string, unknown>;
}

/** Why a move stopped: the exit code, the step, and the state the system is left in. */
export class TransitionError extends Error {
  override name = "TransitionError";
  constructor(
    message: string,
    readonly exit: 1 | 2 | 3,
    readonly step: string,
    readonly state: string,
    readonly report?: Partial<TransitionReport>,
  ) {
    super(message);
  }
}

const DATA_PARAMS = ["source", "target"] as const;

export async function runTransition(req: TransitionRequest, deps: StageDeps): Promise<TransitionReport> {
  // The audit log first: a move whose steps cannot be recorded must not start.
  const audit: AuditSink = openAudit(req.auditPath, req.operator, req.identity ? { identity: req.identity } : {});
  const engine = await deps.engine();
  const steps: TransitionStep[] = [];
  let state = "nothing has changed";
  let from = -1;
  let to = -1;
  // -1 means "not known yet": a move that fails before the stack answers records null and what was asked.
  const where = () => ({ from: from < 0 ? null : from, to: to < 0 ? (req.to ?? null) : to, direction: req.direction });
  let outputs: Record<string, unknown> = {};
  // preview writes the target stage into the stack's config; until an update starts, a failure puts it back.
  let configChanged = false;
  let updateStarted = false;

  async function step<T>(id: string, work: () => Promise<T>, after?: string): Promise<T> {
    const started = Date.now();
    req.log(`> ${id}`);
    try {
      const detail = await work();
      steps.push({ id, status: "succeeded", durationMs: Date.now() - started, ...(detail === undefined ? {} : { detail }) });
      if (after) state = after;
      return detail;
    } catch (err) {
      const e = err instanceof TransitionError ? err : new TransitionError((err as Error).message, 1, id, state);
      if (configChanged && !updateStarted) await engine.setStage(req.stack, from).catch(() => {});
      steps.push({ id, status: e.exit === 3 ? "refused" : "failed", durationMs: Date.now() - started, detail: e.message });
      audit.record({ kind: "stage.transition", stack: req.stack, ...where(), result: e.exit === 3 ? "refused" : "failed", failedStep: id, error: e.message, state });
      throw new TransitionError(e.message, e.exit, id, state, { stack: req.stack, from, to, steps });
    }
  }
  const refuse = (m: string) => new TransitionError(m, 3, "", state);
  const usage = (m: string) => new TransitionError(m, 2, "", state);

  await step("check-move", async () => {
    const current = await engine.currentStage(req.stack);
    if (current === undefined) throw usage(`stack ${req.stack} has no stage set: deploy stage 0 first (\`pulumi config set stage 0 && pulumi up\`) or pass --stack`);
    from = current;
    to = req.to ?? (req.direction === "up" ? from + 1 : from - 1);
    if (!Number.isInteger(to) || to < LOWEST_STAGE || to > HIGHEST_STAGE)
      throw usage(`stage ${to} does not exist: stages are ${LOWEST_STAGE} to ${HIGHEST_STAGE} (\`scale stage list\`)`);
    if ((req.direction === "up" && to < from) || (req.direction === "down" && to > from))
      throw usage(`stage ${req.direction} cannot go from ${from} to ${to}: use \`scale stage ${to > from ? "up" : "down"} --to ${to}\``);
    if (to !== from && Math.abs(to - from) !== 1)
      throw usage(`moves go one stage at a time: from ${from} go to ${from + Math.sign(to - from)} first, verify, then continue`);
    if (to === 0 && from === 1 && !reverseMigrationDone(req.auditPath, req.stack))
      throw refuse(
        "1 -> 0 puts MySQL back on the box, so the data must be there first: run `scale runbook run migrate-box-to-rds " +
          "--param source=<RDS URL> --param target=<box URL> --param direction=to-box --yes` and try again",
      );
    if (from === 0 && to === 1) {
      const missing = DATA_PARAMS.filter((p) => !req.params[p]);
      if (missing.length)
        throw usage(
          `0 -> 1 moves the data from the box to RDS: pass ${missing.map((p) => `--param ${p}=...`).join(" ")} ` +
            "(mysql:// URLs with the database name; in target, {databaseEndpoint} is replaced by the new RDS endpoint)",
        );
    }
    return { from, to };
  });

  if (from === to) {
    audit.record({ kind: "stage.transition", stack: req.stack, from, to, result: "unchanged" });
    return { stack: req.stack, from, to, result: "unchanged", steps, outputs: await engine.outputs(req.stack) };
  }

  const planner = await deps.planner();
  const changes = await step("safety-check", async () => {
    const [fromPlan, toPlan]: [PlanLike, PlanLike] = await Promise.all([planner.plan(from, req.configFile), planner.plan(to, req.configFile)]);
    const violations = planner.check(fromPlan, toPlan);
    if (violations.length)
      throw refuse(`the move ${from} -> ${to} could lose data:\n${violations.map((v) => `  - ${v.type} ${v.urn}: ${v.message}`).join("\n")}`);
    return planner.diff(fromPlan, toPlan);
  });

  await step("preview", async () => {
    configChanged = true;
    const { changeSummary } = await engine.preview(req.stack, to, (line) => req.log(`  ${line.trimEnd()}`));
    req.log(`  changes: ${JSON.stringify(changeSummary)}; stateful: ${changes.filter((c) => c.stateful).map((c) => `${c.action} ${c.type}`).join(", ") || "none"}`);
    return { changeSummary };
  });

  await step("confirm", async () => {
    const who = req.identity?.account ? ` (account ${req.identity.account}, region ${req.identity.region})` : "";
    const answer = await req.confirm(`Move stack ${req.stack}${who} from stage ${from} to ${to}?`);
    if (answer === "yes") return;
    throw refuse(answer === "no-tty" ? "no terminal to confirm the move: pass --yes to run it unattended" : "not confirmed; nothing was changed");
  });

  const movesData = from === 0 && to === 1;
  const removes = !movesData && changes.some((c) => c.action === "delete");
  const expand = expandTargets(changes, movesData);
  if (expand.length) {
    await step(
      movesData ? "expand" : "detach",
      async () => {
        updateStarted = true;
        const r = await engine.up(req.stack, to, (line) => req.log(`  ${line.trimEnd()}`), expand);
        outputs = r.outputs;
        return { targets: expand.length, changeSummary: r.changeSummary };
      },
      movesData
        ? `stage ${to}'s new resources exist; the app still runs as at stage ${from}`
        : `everything of stage ${to} is in place and the app no longer uses what stage ${to} drops; those resources still exist`,
    );
  }

  if (from === 0 && to === 1) {
    await step(
      "migrate-data",
      async () => {
        const endpoint = String(outputs.databaseEndpoint ?? "");
        // A targeted update may leave the stack's outputs as they were: then the operator names the host.
        if (!endpoint && (req.params.target as string).includes("{databaseEndpoint}"))
          throw new Error("the stack reports no databaseEndpoint yet: put the RDS host into --param target instead of {databaseEndpoint}");
        const params = resolveParams(migrateBoxToRds, {
          source: req.params.source as string,
          target: (req.params.target as string).replace("{databaseEndpoint}", endpoint),
          direction: "to-rds",
        });
        const run = await runRunbook(migrateBoxToRds, {
          params,
          dryRun: false,
          region: req.region,
          audit,
          log: (l) => req.log(`  ${l}`),
          context: { stack: req.stack, transition: `${from}->${to}` },
        });
        if (run.result !== "succeeded")
          throw new Error(`migrate-box-to-rds failed at ${run.failedStep}: ${run.steps.find((s) => s.id === run.failedStep)?.error}`);
        return { runId: run.runId };
      },
      "the data is copied and verified in RDS; the app still uses the box's MySQL, which keeps its data",
    );
  }

  if (removes && expand.length) await step("verify-detached", () => healthy(outputs, deps), state);

  // Stateful resources this stage drops passed the safety check only because they are retainOnDelete: the stack lets
  // go of them and AWS keeps them (the box's data volume after 1 -> 2, a queue after 5 -> 4). They are protected, and
  // Pulumi refuses to delete a protected resource, so release them first, and only now that the app is off them.
  const released = changes.filter((c) => c.action === "delete" && c.stateful).map((c) => c.urn);
  if (released.length) {
    await step(
      "release-retained",
      async () => {
        await engine.unprotect(req.stack, released);
        return { urns: released };
      },
      `the resources stage ${to} drops are unprotected in the stack's state; they still exist`,
    );
  }

  await step(
    "up",
    async () => {
      updateStarted = true;
      const r = await engine.up(req.stack, to, (line) => req.log(`  ${line.trimEnd()}`));
      outputs = r.outputs;
      return { changeSummary: r.changeSummary };
    },
    `deployed at stage ${to}; not yet verified`,
  );

  await step("verify", () => healthy(outputs, deps), `stage ${to}, healthy`);

  audit.record({ kind: "stage.transition", stack: req.stack, from, to, result: "succeeded" });
  return { stack: req.stack, from, to, result: "succeeded", steps, outputs };
}

/**
 * The first, partial update. A data move (0 -> 1) first creates only what is new, so the data can be copied
 * before the app switches. A move that removes anything first applies everything else (the app stops using
 * what goes), so a health check can pass before anything is deleted. Other moves need no first phase.
 */
export function expandTargets(changes: ChangeLike[], movesData: boolean): string[] {
  if (movesData) return changes.filter((c) => c.action === "create").map((c) => c.urn);
  if (!changes.some((c) => c.action === "delete")) return [];
  return changes.filter((c) => c.action !== "delete").map((c) => c.urn);
}

async function healthy(outputs: Record<string, unknown>, deps: StageDeps): Promise<{ url: string; status: number }> {
  const endpoint = outputs.endpoint;
  if (typeof endpoint !== "string" || !endpoint) throw new Error("the stack has no `endpoint` output to check");
  const url = new URL("/healthz", endpoint).toString();
  const deadline = Date.now() + deps.healthTimeoutMs;
  let status = 0;
  for (;;) {
    status = await deps.httpStatus(url);
    if (status === 200) return { url, status };
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, deps.healthIntervalMs));
  }
  throw new Error(`${url} answered ${status || "nothing"} for ${Math.round(deps.healthTimeoutMs / 1000)} s`);
}

/**
 * 1 -> 0 needs the data back on the box: a successful migrate-box-to-rds run with direction=to-box,
 * after the stack last moved to stage 1.
 */
export function reverseMigrationDone(auditPath: string, stack: string): boolean {
  const entries = readAudit(auditPath);
  let lastUp = -1;
  entries.forEach((e, i) => {
    if (e.kind === "stage.transition" && e.stack === stack && e.to === 1 && e.from === 0 && e.result === "succeeded") lastUp = i;
  });
  const reverseRuns = new Set<unknown>();
  for (let i = lastUp + 1; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === "runbook.start" && e.runbook === migrateBoxToRds.id && e.dryRun === false) {
      const p = e.params as Record<string, string> | undefined;
      if (p?.direction === "to-box") reverseRuns.add(e.runId);
    }
    if (e.kind === "runbook.end" && reverseRuns.has(e.runId) && e.result === "succeeded") return true;
  }
  return false;
}
