/**
 * The audit log: one JSON object per line, appended, secrets redacted. Every transition and every
 * runbook step lands here with who, when, inputs, outputs and timing.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { redact } from "./redact.ts";
import { OperatorMistake } from "./errors.ts";

/** The audit log cannot be written where it was asked to go: exit 2 before anything runs. */
export class AuditSinkError extends OperatorMistake {
  override name = "AuditSinkError";
  constructor(path: string, reason: string) {
    super(`audit log ${JSON.stringify(path)}: ${reason}`, [
      "pass --audit-log FILE (or set SCALE_AUDIT_LOG) to a file in a folder you can write, e.g. .scale/audit.jsonl",
    ]);
  }
}

const REASONS: Record<string, string> = {
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "a part of the path is a file, not a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  EISDIR: "it is a folder, not a file",
  ENOENT: "the folder does not exist and cannot be created",
  ENOSPC: "no space left on the device",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

/**
 * Check that the audit log can be appended to, creating its folder: a run whose steps cannot be
 * recorded must not start. Kernel file systems are refused outright (creating folders under
 * /proc never succeeds and, with recursive mkdir, never returns either).
 */
export function checkAuditPath(path: string): string {
  if (!path.trim()) throw new AuditSinkError(path, "the path is empty");
  const full = resolve(path);
  if (/^\/(proc|sys|dev)(\/|$)/.test(full) && full !== "/dev/null")
    throw new AuditSinkError(path, "it is on a kernel file system (/proc, /sys, /dev), not a place for a log");
  try {
    if (existsSync(full) && statSync(full).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    mkdirSync(dirname(full), { recursive: true });
    closeSync(openSync(full, "a", 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new AuditSinkError(path, REASONS[code] ?? `cannot be opened for appending (${code || (err as Error).message})`);
  }
  return full;
}

export interface AuditEntry {
  kind: string;
  [field: string]: unknown;
}

export interface AuditSink {
  readonly path: string;
  record(entry: AuditEntry): void;
}

export function openAudit(path: string, operator: string, extra: Record<string, unknown> = {}): AuditSink {
  checkAuditPath(path);
  return {
    path,
    record(entry) {
      const line = JSON.stringify(redact({ at: new Date().toISOString(), who: operator, ...extra, ...entry }));
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
