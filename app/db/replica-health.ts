/**
 * Whether a replica is in read rotation, decided from its health checks. Pure, so the rules are
 * tested without servers. Like a load balancer's fall/rise counts: one bad check takes a replica
 * out at once (a stale read is worse than a slower one), and it returns only after `rise` good
 * checks in a row, so a replica hovering at the lag bound does not flap.
 */

export type CheckResult =
  | { reachable: false; error: string }
  /** lagSeconds undefined: lag could not be measured this time (the primary did not answer). */
  | { reachable: true; lagSeconds: number | undefined };

export interface HealthRules {
  /** Out of rotation above this lag. */
  maxLagSeconds: number;
  /** Good checks in a row needed to come back. @default 2 */
  rise: number;
}

export interface ReplicaState {
  inRotation: boolean;
  /** Good checks in a row since the last bad one. */
  goodStreak: number;
  /** Whether any check has run yet: the first good check admits a replica at once. */
  checked: boolean;
  lagSeconds: number | undefined;
  /** Why the replica is out of rotation, for logs and the health snapshot. */
  reason: string | undefined;
}

export const initialReplicaState: ReplicaState = Object.freeze({
  inRotation: false,
  goodStreak: 0,
  checked: false,
  lagSeconds: undefined,
  reason: "not checked yet",
});

export function nextReplicaState(prev: ReplicaState, check: CheckResult, rules: HealthRules): ReplicaState {
  if (!check.reachable) {
    return { inRotation: false, goodStreak: 0, checked: true, lagSeconds: undefined, reason: `down: ${check.error}` };
  }
  // Lag unknown because the primary is away: keep the last verdict, so replicas go on serving reads
  // while the primary is down instead of all leaving rotation at once.
  if (check.lagSeconds === undefined) {
    return { ...prev, checked: true, lagSeconds: prev.lagSeconds };
  }
  const lag = check.lagSeconds;
  if (lag > rules.maxLagSeconds) {
    return {
      inRotation: false,
      goodStreak: 0,
      checked: true,
      lagSeconds: lag,
      reason: `lag ${formatLag(lag)} s above the bound of ${rules.maxLagSeconds} s`,
    };
  }
  const goodStreak = prev.goodStreak + 1;
  const inRotation = prev.inRotation || !prev.checked || goodStreak >= rules.rise;
  return {
    inRotation,
    goodStreak,
    checked: true,
    lagSeconds: lag,
    reason: inRotation ? undefined : `recovering (${goodStreak} of ${rules.rise} good checks)`,
  };
}

/** A replica whose connection failed during a read leaves rotation at once, without waiting for a check. */
export function markReplicaDown(prev: ReplicaState, error: string): ReplicaState {
  return { ...prev, inRotation: false, goodStreak: 0, checked: true, reason: `down: ${error}` };
}

function formatLag(lag: number): string {
  return Number.isFinite(lag) ? lag.toFixed(1) : "unknown (no heartbeat yet)";
}
