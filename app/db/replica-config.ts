/**
 * The replica router's settings from the environment, as a zod shape the service's config.ts spreads
 * into its own schema (so the environment is still parsed in one place), and the mapping from the
 * parsed config to router options.
 */
import { z } from "zod";

export const replicaEnvShape = {
  /** A replica lagging more than this leaves read rotation. */
  DATABASE_REPLICA_MAX_LAG_SECONDS: z.coerce.number().min(0.1).max(86_400).default(5),
  /** How often each replica's health and lag are checked. */
  DATABASE_REPLICA_CHECK_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** How long a read waits for a replica to apply its session's last write before using the primary. */
  DATABASE_REPLICA_GTID_WAIT_MS: z.coerce.number().int().min(0).max(5000).default(50),
};

export interface ReplicaEnv {
  DATABASE_REPLICA_URLS: readonly string[];
  DATABASE_REPLICA_MAX_LAG_SECONDS: number;
  DATABASE_REPLICA_CHECK_INTERVAL_MS: number;
  DATABASE_REPLICA_GTID_WAIT_MS: number;
}

export function replicaRouterSettings(env: ReplicaEnv) {
  return {
    replicaUrls: env.DATABASE_REPLICA_URLS,
    maxLagSeconds: env.DATABASE_REPLICA_MAX_LAG_SECONDS,
    checkIntervalMs: env.DATABASE_REPLICA_CHECK_INTERVAL_MS,
    gtidWaitMs: env.DATABASE_REPLICA_GTID_WAIT_MS,
  };
}
