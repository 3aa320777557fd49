/**
 * A local stage's folder (default `.scale/local`): `state.json` (what runs, for `status` and the next command),
 * `logs/<component>.log`, `secrets/`, `data/<component>/`, `supervisor/`. The endpoint's port is chosen once and
 * kept for the life of the folder.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeAtomic } from "./supervisor.ts";

export const DEFAULT_DIR = ".scale/local";

/** One component as the contract shows it. */
export interface ComponentView {
  name: string;
  kind: string;
  address: string;
  pid: number | null;
}

/** An app (or worker) process of a tier, and the identity of what it runs (its runtime, overrides and launcher). */
export interface AppProcess {
  name: string;
  tier: string;
  port: number | null;
  identity: string;
}

export interface LocalState {
  stage: number;
  endpoint: string;
  endpointPort: number;
  /** Bumped each time the supervisor is given a new set of processes. */
  generation: number;
  /** Each server's port, by component name (kept across restarts and moves). */
  ports: Record<string, number>;
  /** The last number used for each tier's process names (`app-read-3`). */
  counters: Record<string, number>;
  apps: AppProcess[];
  /** `--env KEY=VALUE` given to `up`, applied to every tier on later moves too. */
  overrides: Record<string, string>;
  launcher: string;
  /** The last written view of what runs. */
  components: ComponentView[];
  running: boolean;
  /** A move that did not finish: where it stopped. */
  interrupted?: {
    from: number;
    to: number;
    target: number;
    step: string;
    error: string;
    /** The servers had switched to the new database: the move can only be resumed, not undone. */
    switched?: boolean;
  };
}

export const localPaths = (dir: string) => ({
  dir,
  state: join(dir, "state.json"),
  logs: join(dir, "logs"),
  data: join(dir, "data"),
  secrets: join(dir, "secrets"),
  haproxy: join(dir, "haproxy"),
  run: join(dir, "run"),
  /** The data move's journal while one runs or stopped (moves/journal.ts). */
  dataMove: join(dir, "data-move.json"),
});

/** DIR as an absolute path (processes run from other folders). */
export const resolveDir = (dir: string | undefined) => resolve(dir ?? DEFAULT_DIR);

export async function readState(dir: string): Promise<LocalState | undefined> {
  const file = localPaths(dir).state;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, "utf8")) as LocalState;
  } catch (err) {
    throw new Error(`${file} is not readable JSON (${(err as Error).message}): run \`scale local down --purge --dir ${dir}\` to start over`, { cause: err });
  }
}

export async function writeState(dir: string, state: LocalState): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(localPaths(dir).state, JSON.stringify(state, null, 2));
}

/**
 * Holds DIR's lock while `fn` runs: two commands changing one local stage at once would start servers twice. A lock
 * left by a process that has died is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "lock");
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw lockError(dir, file, err);
      const holder = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (holder > 0 && holder !== process.pid && alive(holder)) throw lockError(dir, file, err, holder);
      await rm(file, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

function lockError(dir: string, file: string, cause: unknown, holder?: number): Error {
  return new LockedError(`another scale local command${holder ? ` (pid ${holder})` : ""} is changing ${dir}: wait for it, or remove ${file} if no such command runs`, { cause });
}

export class LockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
