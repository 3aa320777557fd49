/**
 * The deployment engine behind `scale stage status|up|down`: an interface, so tests fake it and the
 * real one (Pulumi's Automation API, which shells out to the Pulumi CLI) loads only when used.
 */
import { fileURLToPath } from "node:url";

export interface ChangeSummary {
  [op: string]: number;
}

export interface StackEngine {
  /** The stage the stack's config names, or undefined when the stack has none yet. */
  currentStage(stack: string): Promise<number | undefined>;
  /** The last deployment's outputs ({} when nothing is deployed). */
  outputs(stack: string): Promise<Record<string, unknown>>;
  /** Set the stack's stage and preview the update. */
  preview(stack: string, stage: number, onOutput: (line: string) => void): Promise<{ changeSummary: ChangeSummary }>;
  /** Set the stack's stage and update, only `targets` (URNs) when given. */
  up(
    stack: string,
    stage: number,
    onOutput: (line: string) => void,
    targets?: string[],
  ): Promise<{ outputs: Record<string, unknown>; changeSummary: ChangeSummary }>;
  /** Put the stack's stage config back (after a refused or failed move that changed nothing). */
  setStage(stack: string, stage: number): Promise<void>;
  /**
   * Clear `protect` on these resources in the stack's state (as `pulumi state unprotect` does), so an update may
   * drop them: Pulumi refuses to delete a protected resource, and ours are also retainOnDelete, so AWS keeps them.
   */
  unprotect(stack: string, urns: string[]): Promise<void>;
  /** A resource's outputs in the stack's state (its ARN, address, ...); rejects when the stack has no such URN. */
  resourceOutputs(stack: string, urn: string): Promise<Record<string, unknown>>;
}

/** The Pulumi CLI is not installed: the command says how to get it and exits 1. */
export class PulumiCliMissing extends Error {
  override name = "PulumiCliMissing";
  constructor() {
    super(
      "the Pulumi CLI is not installed (the Automation API runs it): install it with `curl -fsSL https://get.pulumi.com | sh` " +
        "(or `brew install pulumi/tap/pulumi`), make sure `pulumi` is on PATH, then run this again. " +
        "`scale stage plan` works without it.",
    );
  }
}

const PROJECT_DIR = fileURLToPath(new URL("../../", import.meta.url));

function isMissingCli(err: unknown): boolean {
  const e = err as { commandResult?: { err?: { code?: string } }; code?: string; message?: string };
  return e?.commandResult?.err?.code === "ENOENT" || e?.code === "ENOENT" || /spawn pulumi ENOENT/.test(e?.message ?? "");
}

/** Pulumi's Automation API over the repository's Pulumi project (Pulumi.yaml at the root). */
export async function pulumiEngine(): Promise<StackEngine> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  const select = async (stackName: string) => {
    try {
      return await LocalWorkspace.createOrSelectStack({ stackName, workDir: PROJECT_DIR });
    } catch (err) {
      if (isMissingCli(err)) throw new PulumiCliMissing();
      throw err;
    }
  };
  const outputsOf = (o: Record<string, { value: unknown }>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
  return {
    async currentStage(stack) {
      const s = await select(stack);
      const value = (await s.getAllConfig())["scale-to-millions:stage"]?.value;
      return value === undefined ? undefined : Number(value);
    },
    async outputs(stack) {
      return outputsOf(await (await select(stack)).outputs());
    },
    async preview(stack, stage, onOutput) {
      const s = await select(stack);
      await s.setConfig("stage", { value: String(stage) });
      const r = await s.preview({ onOutput, color: "never" });
      return { changeSummary: r.changeSummary as ChangeSummary };
    },
    async unprotect(stack, urns) {
      const s = await select(stack);
      const state = await s.exportStack();
      const wanted = new Set(urns);
      const resources = (state.deployment as { resources?: Array<{ urn: string; protect?: boolean }> }).resources ?? [];
      const missing = urns.filter((u) => !resources.some((r) => r.urn === u));
      // A URN of another stack (the offline plan's) matches nothing: say so rather than "succeed" at nothing.
      if (missing.length) throw new Error(`not in stack ${stack}'s state, so not unprotected: ${missing.join(", ")}`);
      for (const r of resources) if (wanted.has(r.urn)) r.protect = false;
      await s.importStack(state);
    },
    async resourceOutputs(stack, urn) {
      const state = await (await select(stack)).exportStack();
      const resources = (state.deployment as { resources?: Array<{ urn: string; outputs?: Record<string, unknown> }> }).resources ?? [];
      const found = resources.find((r) => r.urn === urn);
      if (!found) throw new Error(`${urn} is not in stack ${stack}'s state`);
      return found.outputs ?? {};
    },
    async up(stack, stage, onOutput, targets) {
      const s = await select(stack);
      await s.setConfig("stage", { value: String(stage) });
      const r = await s.up({ onOutput, color: "never", ...(targets ? { target: targets } : {}) });
      return { outputs: outputsOf(r.outputs), changeSummary: (r.summary.resourceChanges ?? {}) as ChangeSummary };
    },
    async setStage(stack, stage) {
      await (await select(stack)).setConfig("stage", { value: String(stage) });
    },
  };
}
