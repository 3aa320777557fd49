/**
 * The offline plan: runs the Pulumi program for a stage under the SDK's mocks (no cloud credentials, no Pulumi CLI)
 * and returns the resources in the shape of contracts.md §1. @pulumi/* is imported lazily, inside the functions.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseStackConfig, PROJECT, StackConfigError } from "./config.ts";
import { getStage, isStageId, STAGE_IDS } from "./stages.ts";
import { isStateful, replaceTriggers } from "./stateful.ts";
import type { TierRuntime } from "../runtime/sources.ts";

/** One registered resource, as the program registered it. */
export interface PlannedResource {
  urn: string;
  /** The Pulumi type token, e.g. `aws:rds/instance:Instance` or `scale:aws:Database`. */
  type: string;
  name: string;
  /** The parent's URN, or null for a top-level resource. */
  parent: string | null;
  protect: boolean;
  /** Not in contracts.md §1's JSON (the CLI drops it); the transition guard needs it. */
  retainOnDelete: boolean;
  /** Inputs the engine ignores on update (`ignoreChanges`); not in the contract's JSON either. */
  ignoreChanges: string[];
  /** The provider reference (`urn::id`) it is registered with; "" for the default provider. Not in the JSON. */
  provider: string;
  /** Inputs as registered; secrets replaced by "[secret]". */
  inputs: Record<string, unknown>;
}

/** The resources a stage registers, and what each compute tier's servers are given. */
export interface Plan {
  stage: number;
  name: string;
  resources: PlannedResource[];
  /** Each compute tier's runtime: values as URNs and secrets by URN, never a secret's value. */
  runtime: TierRuntime[];
}

/** One change between two plans. */
export interface Change {
  urn: string;
  type: string;
  action: "create" | "delete" | "update" | "replace";
  /** The resource holds data (in the plan it leaves, for deletes and updates). */
  stateful: boolean;
  /** The top-level inputs that differ (empty for create and delete). */
  fields: string[];
}

/** Options of planStage. */
export interface PlanOptions {
  /** A `Pulumi.<stack>.yaml`; default: the repo's Pulumi.example.yaml. */
  configFile?: string;
}

/** The repository's example stack configuration. */
// Beside Pulumi.yaml: one folder up from stacks/, two from the compiled CLI's dist/stacks/.
export const EXAMPLE_CONFIG = [fileURLToPath(new URL("../Pulumi.example.yaml", import.meta.url)), fileURLToPath(new URL("../../Pulumi.example.yaml", import.meta.url))].find((f) => existsSync(f))!;

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** Stands in for a secure (encrypted) config value, which only the Pulumi CLI can decrypt. */
const OFFLINE_SECRET = "offline-plan-placeholder-secret";

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the program for `stage` offline and returns what it registers. Throws StackConfigError for a bad config
 * (or an unknown stage). Runs are serialized: the SDK's runtime state is global to the process.
 */
export function planStage(stage: number, opts: PlanOptions = {}): Promise<Plan> {
  const run = queue.then(() => runPlan(stage, opts));
  queue = run.catch(() => undefined);
  return run;
}

/** Reads a Pulumi.<stack>.yaml's `config:` map; secure values become a placeholder. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const { load } = await import("js-yaml");
  let doc: unknown;
  try {
    doc = load(await readFile(file, "utf8"));
  } catch (error) {
    throw new StackConfigError("(file)", "a readable Pulumi.<stack>.yaml", `cannot read ${file}: ${(error as Error).message}`);
  }
  const config = (doc as { config?: unknown } | null)?.config;
  if (typeof config !== "object" || config === null) {
    throw new StackConfigError("(file)", "a Pulumi.<stack>.yaml with a config: map", `${file} has no config: map`);
  }
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, isSecure(v) ? OFFLINE_SECRET : v]));
}

async function runPlan(stage: number, opts: PlanOptions): Promise<Plan> {
  if (!isStageId(stage)) throw new StackConfigError("stage", STAGE_IDS.join(", "), `${stage} is not a stage`);
  const raw = await readConfigFile(opts.configFile ?? EXAMPLE_CONFIG);
  const config = parseStackConfig({ ...raw, [`${PROJECT}:stage`]: stage });
  const pulumi = await import("@pulumi/pulumi");
  const { planMocks } = await import("./mocks.ts");
  const { buildStack } = await import("./program.ts");

  await pulumi.runtime.setMocks(planMocks, PROJECT, "plan", false);
  const recorded: PlannedResource[] = [];
  const pending: Promise<void>[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    pending.push(record(pulumi, req, recorded));
    return register(req, cb);
  };
  let runtime: TierRuntime[] = [];
  try {
    const outputs = buildStack(config);
    runtime = await new Promise<TierRuntime[]>((resolve) => outputs.runtime.apply(resolve));
  } finally {
    await pulumi.runtime.disconnect();
  }
  await Promise.all(pending);
  const urns = new Set<string>();
  for (const r of recorded) {
    if (urns.has(r.urn)) throw new Error(`the program registers ${r.urn} twice: the real engine would refuse it`);
    urns.add(r.urn);
  }
  recorded.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stage, name: getStage(stage).name, resources: recorded, runtime };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getProvider(): string;
  getObject(): unknown;
}

async function record(pulumi: typeof import("@pulumi/pulumi"), req: RegisterRequest, into: PlannedResource[]): Promise<void> {
  const type = req.getType();
  const name = req.getName();
  const parent = req.getParent() || null;
  const inputs = scrub(pulumi.runtime.deserializeProperties(req.getObject() as Parameters<typeof pulumi.runtime.deserializeProperties>[0])) as Record<string, unknown>;
  into.push({ urn: urnOf(pulumi, parent, type, name), type, name, parent, protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(), ignoreChanges: req.getIgnorechangesList(), provider: req.getProvider(), inputs });
}

// The same rule the mock monitor uses, so the recorded URN is the one resources resolve to.
function urnOf(pulumi: typeof import("@pulumi/pulumi"), parent: string | null, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2]!.split("$").pop()}$${type}` : type;
  return `urn:pulumi:${pulumi.runtime.getStack()}::${pulumi.runtime.getProject()}::${qualified}::${name}`;
}

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) return "[secret]";
  if (obj[SIG_KEY] === RESOURCE_SIG) return obj.urn;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, scrub(v)]));
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}

/** The changes that move a stack from plan `from` to plan `to`, by URN (ignored inputs left out). */
export function diffPlans(from: Plan, to: Plan): Change[] {
  const before = new Map(from.resources.map((r) => [r.urn, r]));
  const after = new Map(to.resources.map((r) => [r.urn, r]));
  const changes: Change[] = [];
  for (const r of to.resources) {
    const old = before.get(r.urn);
    if (!old) {
      changes.push({ urn: r.urn, type: r.type, action: "create", stateful: isStateful(r), fields: [] });
      continue;
    }
    // What the engine ignores on update does not change the resource; it still counts for the guard's replace check.
    const fields = changedFields(old.inputs, r.inputs).filter((f) => !r.ignoreChanges.includes(f));
    if (fields.length === 0) continue;
    const replaced = replaceTriggers(r.type).some((f) => fields.includes(f));
    changes.push({ urn: r.urn, type: r.type, action: replaced ? "replace" : "update", stateful: isStateful(old), fields });
  }
  for (const r of from.resources) {
    if (!after.has(r.urn)) changes.push({ urn: r.urn, type: r.type, action: "delete", stateful: isStateful(r), fields: [] });
  }
  return changes;
}

/** The top-level input names whose values differ. */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}
