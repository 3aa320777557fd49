/**
 * Where stage commands get their engine, planner and health check. Tests swap them with
 * `useStageDeps` (the commands run in-process under @oclif/test); real runs load them lazily.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ReplicationControl } from "../../moves/replication.ts";
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
  /** AWS clients the moves use (SSM Run Command for the switch, ELBv2 for target health and deletion protection). */
  ssm(region: string): Promise<SSMClient>;
  elb(region: string): Promise<ElasticLoadBalancingV2Client>;
  /** How the new database replicates from the old: RDS's procedures on AWS. */
  replication(): Promise<ReplicationControl>;
  /** How long SSM commands and the data move's polls wait between looks. */
  pollMs: number;
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
  ssm: async (region) => new (await import("@aws-sdk/client-ssm")).SSMClient({ region }),
  elb: async (region) => new (await import("@aws-sdk/client-elastic-load-balancing-v2")).ElasticLoadBalancingV2Client({ region }),
  replication: async () => (await import("../../moves/replication.ts")).rdsReplication,
  pollMs: 2000,
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
