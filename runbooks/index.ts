/** Every runbook the CLI ships. Runbooks are data; their AWS and database clients load only when a step runs. */
import { albDiagnose } from "./alb-diagnose.ts";
import { boxRecover } from "./box-recover.ts";
import { cacheDiagnose } from "./cache-diagnose.ts";
import { cacheFlush } from "./cache-flush.ts";
import { cacheWarm } from "./cache-warm.ts";
import { dbFailover } from "./db-failover.ts";
import { dbResize } from "./db-resize.ts";
import { dbSnapshot } from "./db-snapshot.ts";
import { drainInstance } from "./drain-instance.ts";
import { migrateBoxToRds } from "./migrate-box-to-rds.ts";
import { dlqRedrive } from "./dlq-redrive.ts";
import { dataArchive } from "./data-archive.ts";
import { replicaLag } from "./replica-lag.ts";
import { scaleTier } from "./scale-tier.ts";
import type { Runbook } from "./lib/types.ts";

export const RUNBOOKS: readonly Runbook[] = [
  dbSnapshot,
  dbFailover,
  dbResize,
  replicaLag,
  migrateBoxToRds,
  scaleTier,
  drainInstance,
  boxRecover,
  albDiagnose,
  cacheFlush,
  cacheWarm,
  cacheDiagnose,
  dlqRedrive,
  dataArchive,
];

export function getRunbook(id: string): Runbook | undefined {
  return RUNBOOKS.find((r) => r.id === id);
}

/** Alarm ids no runbook answers (the cross-check against stacks/alarms.ts). */
export function alarmsWithoutRunbook(alarmIds: readonly string[], runbooks: readonly Runbook[] = RUNBOOKS): string[] {
  const answered = new Set(runbooks.flatMap((r) => r.answersAlarms));
  return alarmIds.filter((id) => !answered.has(id));
}
