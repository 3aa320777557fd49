/** What `scale deploy` and `scale rollback` print (contract §3), and the release they roll. */

/** A release archive as `scale release build` describes it. */
export interface ReleaseArchive {
  version: string;
  /** The archive on this machine; absent when the release is only in the stack's bucket (a rollback). */
  file?: string;
  sha256: string;
  bytes?: number;
}

/** One tier's roll: servers replaced of the tier's total, and how long it took. */
export interface TierReport {
  tier: string;
  replaced: number;
  total: number;
  seconds: number;
}

/** Contract §3's document. */
export interface DeployReport {
  release: string;
  tiers: TierReport[];
  /** True when a check failed and every server went back to the release it ran before. */
  rolledBack: boolean;
}

/** The deploy was refused or failed before any server changed, or part-way (then `report` says how far). */
export class DeployError extends Error {
  override name = "DeployError";
  constructor(
    message: string,
    /** The documented exit code: 1 failed, 2 usage, 3 refused. */
    readonly exit: 1 | 2 | 3,
    readonly report?: DeployReport,
  ) {
    super(message);
  }
}

/** Seconds since `start` (a performance.now() value), to one decimal. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 100) / 10;
}
