/**
 * A stage move on AWS, step by step: check the move, the offline safety check, preview, confirm, then the phases of
 * moves/phases.ts with the stack's own URNs: expand (a targeted update: what is new or changes, not the edge, not
 * the removals), the data move (0 -> 1: the box's MariaDB into RDS by replication, the box switched by SSM), the new
 * tier checked (its targets healthy), only then the edge (DNS, CloudFront, listeners), a health check through the
 * endpoint, and the contract (deletion protection and `protect` lifted on what leaves, the full update). An audit
 * record whatever the outcome; an interrupted move is continued with --resume or cleaned up with --abort.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openAudit, readAudit, type AuditSink } from "./audit.ts";
import type { Confirmation } from "./confirm.ts";
import type { Identity } from "./identity.ts";
import type { StageDeps } from "./stage-deps.ts";
import type { ChangeLike, PlanLike } from "./planner.ts";
import { planPhases } from "../../moves/phases.ts";
import { stackUrn, stackUrns } from "../../moves/urns.ts";
import { DATABASE_NAME } from "../../runtime/servers.ts";
import type { TierRuntime } from "../../runtime/sources.ts";

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
  /** Continue the stack's interrupted move (--resume), or clean it up (--abort). */
  resume?: boolean;
  abort?: boolean;
  /** SIGINT/SIGTERM: the move stops at the next safe point and records where. */
  signal?: AbortSignal;
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
  result: "succeeded" | "unchanged" | "aborted";
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

/** Where an interrupted move's from/to is kept, beside the audit log, so --resume and --abort know the move. */
function movePath(auditPath: string, stack: string, what: "transition" | "data"): string {
  return join(dirname(auditPath), "moves", `${stack}.${what}.json`);
}

interface SavedMove {
  from: number;
  to: number;
  startedAt: string;
}

function loadSavedMove(path: string): SavedMove | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as SavedMove) : undefined;
}

export async function runTransition(req: TransitionRequest, deps: StageDeps): Promise<TransitionReport> {
  // The audit log first: a move whose steps cannot be recorded must not start.
  const audit: AuditSink = openAudit(req.auditPath, req.operator, req.identity ? { identity: req.identity } : {});
  const engine = await deps.engine();
  const steps: TransitionStep[] = [];
  const savedPath = movePath(req.auditPath, req.stack, "transition");
  const dataPath = movePath(req.auditPath, req.stack, "data");
  let state = "nothing has changed";
  let from = -1;
  let to = -1;
  // -1 means "not known yet": a move that fails before the stack answers records null and what was asked.
  const where = () => ({ from: from < 0 ? null : from, to: to < 0 ? (req.to ?? null) : to, direction: req.direction });
  let outputs: Record<string, unknown> = {};
  // preview writes the target stage into the stack's config; until an update starts, a failure puts it back.
  let configChanged = false;
  let updateStarted = false;
  // Set once a phased move has written down its from/to: from then on --resume and --abort know the move.
  let resumable = false;
  const flagsAgain = () =>
    `--stack ${req.stack}${Object.keys(req.params).map((k) => ` --param ${k}=...`).join("")}`;

  async function step<T>(id: string, work: () => Promise<T>, after?: string): Promise<T> {
    const started = Date.now();
    req.log(`> ${id}`);
    try {
      if (req.signal?.aborted) throw new Error(`interrupted (${String(req.signal.reason ?? "signal")}) before ${id}`);
      const detail = await work();
      steps.push({ id, status: "succeeded", durationMs: Date.now() - started, ...(detail === undefined ? {} : { detail }) });
      if (after) state = after;
      return detail;
    } catch (err) {
      const e = err instanceof TransitionError ? err : new TransitionError((err as Error).message, 1, id, state);
      if (configChanged && !updateStarted) await engine.setStage(req.stack, from).catch(() => {});
      steps.push({ id, status: e.exit === 3 ? "refused" : "failed", durationMs: Date.now() - started, detail: e.message });
      const canResume = resumable && e.exit === 1;
      const result = e.exit === 3 ? "refused" : req.signal?.aborted || canResume ? "interrupted" : "failed";
      const next = canResume
        ? `continue with \`scale stage ${req.direction} --resume ${flagsAgain()}\`, or clean up with \`scale stage ${req.direction} --abort ${flagsAgain()}\``
        : undefined;
      audit.record({ kind: "stage.transition", stack: req.stack, ...where(), result, failedStep: id, error: e.message, state, ...(next ? { next } : {}) });
      throw new TransitionError(next ? `${e.message}\n${next}` : e.message, e.exit, id, state, { stack: req.stack, from, to, steps });
    }
  }
  const refuse = (m: string) => new TransitionError(m, 3, "", state);
  const usage = (m: string) => new TransitionError(m, 2, "", state);

  await step("check-move", async () => {
    if (req.resume || req.abort) {
      const saved = loadSavedMove(savedPath);
      if (!saved) throw usage(`stack ${req.stack} has no interrupted move to ${req.resume ? "resume" : "abort"} (${savedPath} is absent)`);
      ({ from, to } = saved);
    } else {
      if (loadSavedMove(savedPath))
        throw refuse(`stack ${req.stack} has an interrupted move: \`scale stage ${req.direction} --resume\` continues it, \`--abort\` cleans it up`);
      const current = await engine.currentStage(req.stack);
      if (current === undefined) throw usage(`stack ${req.stack} has no stage set: deploy stage 0 first (\`pulumi config set stage 0 && pulumi up\`) or pass --stack`);
      from = current;
      to = req.to ?? (req.direction === "up" ? from + 1 : from - 1);
    }
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
            "(admin mysql:// URLs; in target, {databaseEndpoint} is replaced by the new RDS endpoint; optional source-host: the box's address as RDS reaches it)",
        );
    }
    return { from, to };
  });

  if (req.abort) return abortMove();

  if (from === to) {
    audit.record({ kind: "stage.transition", stack: req.stack, from, to, result: "unchanged" });
    return { stack: req.stack, from, to, result: "unchanged", steps, outputs: await engine.outputs(req.stack) };
  }

  const planner = await deps.planner();
  const { changes, fromPlan, toPlan } = await step("safety-check", async () => {
    const [fromPlan, toPlan]: [PlanLike, PlanLike] = await Promise.all([planner.plan(from, req.configFile), planner.plan(to, req.configFile)]);
    const violations = planner.check(fromPlan, toPlan);
    if (violations.length)
      throw refuse(`the move ${from} -> ${to} could lose data:\n${violations.map((v) => `  - ${v.type} ${v.urn}: ${v.message}`).join("\n")}`);
    return { changes: planner.diff(fromPlan, toPlan), fromPlan, toPlan };
  });

  await step("preview", async () => {
    configChanged = true;
    const { changeSummary } = await engine.preview(req.stack, to, (line) => req.log(`  ${line.trimEnd()}`));
    req.log(`  changes: ${JSON.stringify(changeSummary)}; stateful: ${changes.filter((c) => c.stateful).map((c) => `${c.action} ${c.type}`).join(", ") || "none"}`);
    return { changeSummary };
  });

  await step("confirm", async () => {
    const who = req.identity?.account ? ` (account ${req.identity.account}, region ${req.identity.region})` : "";
    const answer = await req.confirm(`${req.resume ? "Continue the move of" : "Move"} stack ${req.stack}${who} from stage ${from} to ${to}?`);
    if (answer === "yes") return;
    throw refuse(answer === "no-tty" ? "no terminal to confirm the move: pass --yes to run it unattended" : "not confirmed; nothing was changed");
  });

  const phases = planPhases(changes, fromPlan, toPlan);
  // The offline plan's URNs name the stack "plan"; Pulumi knows only the stack's own.
  const own = (urns: string[]) => stackUrns(urns, req.stack);
  const movesData = from === 0 && to === 1;
  const phased = movesData || phases.edge.length > 0 || phases.removes;
  const onOutput = (line: string) => req.log(`  ${line.trimEnd()}`);

  if (phased) {
    mkdirSync(dirname(savedPath), { recursive: true });
    if (!req.resume) writeFileSync(savedPath, JSON.stringify({ from, to, startedAt: new Date().toISOString() } satisfies SavedMove) + "\n", { mode: 0o600 });
    resumable = true;
    if (phases.expand.length)
      await step(
        "expand",
        async () => {
          updateStarted = true;
          const r = await engine.up(req.stack, to, onOutput, own(phases.expand));
          outputs = r.outputs;
          return { targets: phases.expand.length, changeSummary: r.changeSummary };
        },
        `stage ${to}'s new and changed resources are in place; users still enter as at stage ${from}`,
      );
    updateStarted = true;

    if (movesData) await step("move-data", () => moveBoxToRds(toPlan), "the data is in RDS and the box uses it; the box's MariaDB is read-only and keeps its copy");

    await step("verify-new-tier", () => newTierAnswers(changes), state);

    await step(
      phases.removes ? "switch-edge" : "up",
      async () => {
        const targets = phases.removes ? own([...phases.expand, ...phases.edge]) : undefined;
        if (targets && phases.edge.length === 0) return { skipped: "no edge changes" };
        const r = await engine.up(req.stack, to, onOutput, targets);
        outputs = r.outputs;
        return { changeSummary: r.changeSummary };
      },
      phases.removes ? `users enter through stage ${to}'s tier; what stage ${to} drops still exists` : `deployed at stage ${to}; not yet verified`,
    );
    await step("verify", () => healthy(outputs, deps), phases.removes ? state : `stage ${to}, healthy`);

    if (phases.removes) {
      if (phases.liftProtection.length)
        await step("lift-deletion-protection", async () => {
          const { liftDeletionProtection } = await import("../../moves/aws/load-balancer.ts");
          const elb = await deps.elb(req.region);
          const arns: string[] = [];
          for (const urn of own(phases.liftProtection)) {
            const arn = (await engine.resourceOutputs(req.stack, urn)).arn;
            if (typeof arn !== "string") throw new Error(`no ARN for ${urn} in the stack's state`);
            await liftDeletionProtection(elb, arn);
            arns.push(arn);
          }
          return { arns };
        });
      // Stateful resources this stage drops passed the safety check only because they are retainOnDelete: the stack
      // lets go of them and AWS keeps them. Pulumi refuses to delete a protected resource, so release them now that
      // nothing uses them.
      if (phases.release.length)
        await step(
          "release-retained",
          async () => {
            await engine.unprotect(req.stack, own(phases.release));
            return { urns: own(phases.release) };
          },
          `the resources stage ${to} drops are unprotected in the stack's state; they still exist`,
        );
      await step(
        "contract",
        async () => {
          const r = await engine.up(req.stack, to, onOutput);
          outputs = r.outputs;
          return { changeSummary: r.changeSummary };
        },
        `deployed at stage ${to}; not yet verified`,
      );
      await step("verify-contracted", () => healthy(outputs, deps), `stage ${to}, healthy`);
    }
    rmSync(savedPath, { force: true });
  } else {
    await step(
      "up",
      async () => {
        updateStarted = true;
        const r = await engine.up(req.stack, to, onOutput);
        outputs = r.outputs;
        return { changeSummary: r.changeSummary };
      },
      `deployed at stage ${to}; not yet verified`,
    );
    await step("verify", () => healthy(outputs, deps), `stage ${to}, healthy`);
  }

  audit.record({ kind: "stage.transition", stack: req.stack, from, to, result: "succeeded" });
  return { stack: req.stack, from, to, result: "succeeded", steps, outputs };

  /** 0 -> 1: the data move of moves/, RDS replicating from the box through RDS's procedures, the box switched by SSM. */
  async function moveBoxToRds(plan: PlanLike) {
    const { moveData, DataMoveError } = await import("../../moves/data-move.ts");
    const { fileMoveState } = await import("../../moves/journal.ts");
    const { concreteRuntime } = await import("../../moves/aws/runtime.ts");
    const { ssmSwitch } = await import("../../moves/aws/ssm-switch.ts");
    const journalState = fileMoveState(dataPath);
    const pending = journalState.load();
    if (req.resume && pending?.phase === "done") return { moved: "earlier" };
    const endpoint = String(outputs.databaseEndpoint ?? (await engine.outputs(req.stack)).databaseEndpoint ?? "");
    const targetParam = req.params.target as string;
    if (!endpoint && targetParam.includes("{databaseEndpoint}"))
      throw new Error("the stack reports no databaseEndpoint yet: put the RDS host into --param target instead of {databaseEndpoint}");
    const target = targetParam.replace("{databaseEndpoint}", endpoint);
    const source = req.params.source as string;
    const database = new URL(source).pathname.slice(1) || DATABASE_NAME;
    const box = plan.runtime?.find((r) => r.tier === "box");
    if (!box) throw new Error(`stage ${to}'s plan has no box runtime to switch the box to`);
    let runtime: TierRuntime | undefined;
    const sourceHost = req.params["source-host"];
    try {
      const r = await moveData({
        source,
        target,
        database,
        replication: await deps.replication(),
        ...(sourceHost ? { sourceAddress: { host: sourceHost, port: Number(new URL(source).port || 3306) } } : {}),
        signal: req.signal,
        resume: Boolean(req.resume && pending && pending.phase !== "aborted"),
        journal: {
          state: journalState,
          audit: { record: (e) => audit.record({ ...e, stack: req.stack }) },
          resumeCommand: `scale stage ${req.direction} --resume ${flagsAgain()}`,
          abortCommand: `scale stage ${req.direction} --abort ${flagsAgain()}`,
        },
        log: (l) => req.log(`  ${l}`),
        onStep: (s) => s.status !== "running" && req.log(`  ${s.name}: ${s.status} (${s.seconds} s)`),
        // The runtime is read from the stack before the freeze, so the freeze waits only for SSM.
        prepareSwitch: async () => {
          runtime = await concreteRuntime(box, (urn) => engine.resourceOutputs(req.stack, stackUrn(urn, req.stack)));
        },
        switchServers: async () => {
          await ssmSwitch({ ssm: await deps.ssm(req.region), stack: req.stack, runtime: runtime!, pollMs: deps.pollMs, signal: req.signal });
        },
        checkServing: async () => void (await healthy({ endpoint: outputs.endpoint ?? (await engine.outputs(req.stack)).endpoint }, deps)),
      });
      return { moveId: r.id, writeUnavailableSeconds: r.writeUnavailableSeconds, steps: r.steps.map((s) => `${s.name} ${s.seconds}s`) };
    } catch (err) {
      if (err instanceof DataMoveError)
        state = err.serving === "source" ? "RDS exists; the box still serves from its own MariaDB, writable" : "the box serves from RDS";
      throw err;
    }
  }

  /** The tier users are about to be sent to answers: every target group the move creates or changes has healthy targets. */
  async function newTierAnswers(all: ChangeLike[]) {
    const groups = all.filter((c) => c.type === "aws:lb/targetGroup:TargetGroup" && c.action !== "delete").map((c) => stackUrn(c.urn, req.stack));
    if (groups.length === 0) return healthy(outputs, deps);
    const { targetsHealthy } = await import("../../moves/aws/load-balancer.ts");
    const elb = await deps.elb(req.region);
    const deadline = Date.now() + deps.healthTimeoutMs;
    const checked: Record<string, string> = {};
    for (const urn of groups) {
      const arn = (await engine.resourceOutputs(req.stack, urn)).arn;
      if (typeof arn !== "string") throw new Error(`no ARN for ${urn} in the stack's state`);
      for (;;) {
        const h = await targetsHealthy(elb, arn);
        checked[arn] = h.detail;
        if (h.healthy) break;
        if (Date.now() > deadline) throw new Error(`the new tier does not answer: ${h.detail}; users still enter as at stage ${from}`);
        await new Promise((r) => setTimeout(r, deps.healthIntervalMs));
      }
    }
    return { targetGroups: checked };
  }

  /** --abort: an interrupted data move is undone (the box writable, RDS's replication dropped), the stage put back. */
  async function abortMove(): Promise<TransitionReport> {
    await step("abort", async () => {
      const { fileMoveState } = await import("../../moves/journal.ts");
      const { abortDataMove } = await import("../../moves/data-move.ts");
      const journal = { state: fileMoveState(dataPath), audit: { record: (e: { kind: string }) => audit.record({ ...e, stack: req.stack }) } };
      const pending = journal.state.load();
      let data: unknown = "no data move to undo";
      if (pending && pending.phase !== "done" && pending.phase !== "aborted") {
        const missing = DATA_PARAMS.filter((p) => !req.params[p]);
        if (missing.length) throw usage(`the interrupted data move needs ${missing.map((p) => `--param ${p}=...`).join(" ")} to be cleaned up`);
        const endpoint = String((await engine.outputs(req.stack)).databaseEndpoint ?? "");
        data = await abortDataMove({
          source: req.params.source as string,
          target: (req.params.target as string).replace("{databaseEndpoint}", endpoint),
          journal,
          replication: await deps.replication(),
        });
      }
      await engine.setStage(req.stack, from);
      rmSync(savedPath, { force: true });
      return { data, stage: from };
    }, `the stack's stage is ${from} again; resources the expand created stay (protected ones are kept by AWS): the next move reuses them`);
    audit.record({ kind: "stage.transition", stack: req.stack, from, to, result: "aborted" });
    return { stack: req.stack, from, to, result: "aborted", steps, outputs: await engine.outputs(req.stack) };
  }
}

async function healthy(outputs: Record<string, unknown>, deps: Pick<StageDeps, "httpStatus" | "healthTimeoutMs" | "healthIntervalMs">): Promise<{ url: string; status: number }> {
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
    if (e.kind === "runbook.start" && e.runbook === "migrate-box-to-rds" && e.dryRun === false) {
      const p = e.params as Record<string, string> | undefined;
      if (p?.direction === "to-box") reverseRuns.add(e.runId);
    }
    if (e.kind === "runbook.end" && reverseRuns.has(e.runId) && e.result === "succeeded") return true;
  }
  return false;
}
