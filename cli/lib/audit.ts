/**
 * The audit log: one JSON object per line, appended, secrets redacted. Every transition and every
 * runbook step lands here with who, when, inputs, outputs and timing.
 */
import { appendFileSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { redact } from "./redact.ts";

export interface AuditEntry {
  kind: string;
  [field: string]: unknown;
}

export interface AuditSink {
  readonly path: string;
  record(entry: AuditEntry): void;
}

export function openAudit(path: string, operator: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true });
  return {
    path,
    record(entry) {
      const line = JSON.stringify(redact({ at: new Date().toISOString(), who: operator, ...entry }));
      // Synchronous on purpose: a crash right after a step must not lose the step's record.
      appendFileSync(path, line + "\n", { mode: 0o600 });
    },
  };
}

/** Every entry of an audit log, oldest first; lines that do not parse are skipped. */
export function readAudit(path: string): AuditEntry[] {
  if (!existsSync(path)) return [];
  const entries: AuditEntry[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as AuditEntry);
    } catch {
      // a torn last line after a crash: keep the rest
    }
  }
  return entries;
}
