/**
 * Where a move writes down what it did: an audit writer (the CLI passes its audit log; moves/ does not import cli/)
 * and a state file holding what a resume needs. The state names no secret: URLs and passwords are passed again.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** One appended record per step start, end and interruption (the shape of cli/lib/audit.ts's sink). */
export interface AuditWriter {
  record(entry: { kind: string; [field: string]: unknown }): void;
}

export type MovePhase = "copying" | "switching" | "switched" | "done" | "aborted";

export interface MoveState {
  id: string;
  database: string;
  startedAt: string;
  phase: MovePhase;
  /** Steps that completed, in order. */
  done: string[];
  /** The step that stopped the move, and why; unset while it runs or once done. */
  interrupted?: { step: string; reason: string; at: string };
  /** The source's GTID position the seed's snapshot was taken at. */
  snapshotGtid?: string;
  /** What the target held before the seed: what a redo or an abort puts back. */
  targetBefore?: { databaseExisted: boolean; tables: string[] };
  /** Replication was configured on the target at least once: a restart continues from the target's own position. */
  replicationStarted?: boolean;
  /** The target's own binlog position when it became writable: more than this means writes landed there. */
  targetBinlogAtPromote?: string;
  frozenAt?: number;
  writeUnavailableSeconds?: number;
}

export interface MoveStateStore {
  load(): MoveState | undefined;
  save(state: MoveState): void;
  clear(): void;
}

export interface MoveJournal {
  state: MoveStateStore;
  audit?: AuditWriter;
  /** The commands that continue or clean up an interrupted move, as the caller spells them. */
  resumeCommand?: string;
  abortCommand?: string;
}

/** A state file written whole and renamed into place, so a crash mid-write leaves the previous state. */
export function fileMoveState(path: string): MoveStateStore {
  return {
    load() {
      if (!existsSync(path)) return undefined;
      return JSON.parse(readFileSync(path, "utf8")) as MoveState;
    },
    save(state) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
    },
    clear() {
      rmSync(path, { force: true });
    },
  };
}

/** State kept in memory, for callers that need no resume across processes. */
export function memoryMoveState(): MoveStateStore {
  let state: MoveState | undefined;
  return {
    load: () => (state ? (structuredClone(state) as MoveState) : undefined),
    save: (s) => void (state = structuredClone(s) as MoveState),
    clear: () => void (state = undefined),
  };
}
