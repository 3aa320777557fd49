/**
 * Where stage commands get their engine, planner and health check. Tests swap them with
 * `useStageDeps` (the commands run in-process under @oclif/test); real runs load them lazily.
 */
import { pulumiEngine, type StackEngine } from "./engine.ts";
import { stacksPlanner, type Planner } from "./planner.ts";
import type { Identity } from "./identity.ts";

export interface StageDeps {
  engine(): Promise<StackEngine>;
  planner(): Promise<Planner>;
  /** Who the move acts as (STS GetCallerIdentity), resolved before anything runs. */
  identity(opts: { stack: string; region: string }): Promise<Identity>;
  /** GET url; the HTTP status, 0 when nothing answers. */
  httpStatus(url: string): Promise<number>;
  /** How long the health check keeps trying, and how often. */
  healthTimeoutMs: number;
  healthIntervalMs: number;
}

async function httpStatus(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const real: StageDeps = {
  identity: async (opts) => (await import("./identity.ts")).resolveIdentity({ ...opts, aws: true }),
  engine: pulumiEngine,
  planner: stacksPlanner,
  httpStatus,
  healthTimeoutMs: 10 * 60_000,
  healthIntervalMs: 5000,
};

// Kept on globalThis, not in a module variable: oclif may load the command files as a second
// instance of this module, and a test's override must reach the instance the command sees.
const KEY = Symbol.for("scale-to-millions.stageDeps");
const slot = globalThis as { [KEY]?: StageDeps };

export function stageDeps(): StageDeps {
  return slot[KEY] ?? real;
}

/** Replace some dependencies; returns a function that puts the real ones back. */
export function useStageDeps(overrides: Partial<StageDeps>): () => void {
  slot[KEY] = { ...real, ...overrides };
  return () => {
    delete slot[KEY];
  };
}
