/**
 * Which release a rollback returns to: the audit log records every deploy's end with the release it put in place
 * and the one it replaced; the stack record says what runs now. The previous release is the last one that was
 * deployed successfully before the current one, rollbacks not counted (a second rollback goes further back, not in
 * a circle).
 */
import type { ReleaseConfig } from "./aws.ts";

/** The audit entry kind a finished deploy writes. */
export const DEPLOY_END = "deploy.end";

/** One audit log line (cli/lib/audit.ts writes them). */
export interface AuditEntry {
  kind: string;
  [field: string]: unknown;
}

export interface DeployEnd extends AuditEntry {
  kind: typeof DEPLOY_END;
  target: string;
  release: ReleaseConfig | { version: string; sha256: string };
  previous?: ReleaseConfig | { version: string; sha256: string };
  outcome: "succeeded" | "rolledBack" | "failed";
  rollback?: boolean;
}

/** The release to go back to from `current` on `target` (a stack name, or `local:<dir>`), or undefined. */
export function previousRelease<R extends { version: string }>(entries: AuditEntry[], target: string, current: string): R | undefined {
  const ends = entries.filter((e): e is DeployEnd => e.kind === DEPLOY_END && (e as DeployEnd).target === target && (e as DeployEnd).outcome === "succeeded");
  // The forward history: each release as a real deploy first put it in place, in order.
  const forward: Array<DeployEnd["release"]> = [];
  for (const e of ends) {
    if (e.rollback) continue;
    if (forward.length === 0 && e.previous) forward.push(e.previous);
    if (forward.at(-1)?.version !== e.release.version) forward.push(e.release);
  }
  const at = forward.map((r) => r.version).lastIndexOf(current);
  return at > 0 ? (forward[at - 1] as unknown as R) : undefined;
}
