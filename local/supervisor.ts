/**
 * The local stage's supervisor: one detached process per DIR that starts every server of the stage, starts again one
 * that dies (as an auto scaling group replaces an instance), and stops them all on SIGTERM. It outlives the CLI.
 * The CLI tells it what should run by writing `supervisor/desired.json` and sending SIGHUP; it reports what runs in
 * `supervisor/running.json` (pids, starts), so the CLI waits for a generation to be applied.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** One process the supervisor keeps running. */
export interface ProcessSpec {
  name: string;
  kind: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** What `status` shows: host:port, or a URL. */
  address: string;
  /** Lower stops later on `down` (data servers after the app processes). */
  stopOrder: number;
}

export interface Desired {
  generation: number;
  processes: ProcessSpec[];
}

export interface RunningProcess {
  pid: number | null;
  starts: number;
  lastExit: string | null;
}

export interface Running {
  pid: number;
  generation: number;
  processes: Record<string, RunningProcess>;
  stopping: boolean;
}

export const supervisorPaths = (dir: string) => ({
  folder: join(dir, "supervisor"),
  desired: join(dir, "supervisor", "desired.json"),
  running: join(dir, "supervisor", "running.json"),
  log: join(dir, "logs", "supervisor.log"),
});

/** How long a stopping process gets before SIGKILL. */
const STOP_GRACE_MS = 20_000;
/** A process that ran this long is healthy again: its restart delay starts over. */
const STABLE_MS = 30_000;

interface Child {
  spec: ProcessSpec;
  proc?: ChildProcess;
  starts: number;
  lastExit: string | null;
  delay: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  wanted: boolean;
}

/** Runs the supervisor for `dir` until SIGTERM; every process it started is stopped before it exits. */
export async function runSupervisor(dir: string): Promise<void> {
  const paths = supervisorPaths(dir);
  const children = new Map<string, Child>();
  let generation = 0;
  let stopping = false;
  let writing = Promise.resolve();

  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const report = () => {
    const running: Running = {
      pid: process.pid, generation, stopping,
      processes: Object.fromEntries([...children].map(([name, c]) => [name, { pid: c.proc?.pid ?? null, starts: c.starts, lastExit: c.lastExit }])),
    };
    writing = writing.then(() => writeAtomic(paths.running, JSON.stringify(running, null, 2))).catch((e: Error) => log(`cannot write running.json: ${e.message}`));
    return writing;
  };

  const start = (child: Child) => {
    const { spec } = child;
    const out = openSync(join(dir, "logs", `${spec.name}.log`), "a");
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? dir, ...spec.env },
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.proc = proc;
    child.starts += 1;
    child.startedAt = Date.now();
    log(`started ${spec.name} (pid ${proc.pid}, start ${child.starts})`);
    proc.once("error", (err) => log(`${spec.name}: ${err.message}`));
    proc.once("exit", (code, signal) => {
      child.proc = undefined;
      child.lastExit = signal ? `signal ${signal}` : `code ${code}`;
      log(`${spec.name} exited (${child.lastExit})`);
      if (child.wanted && !stopping) {
        // Replace it, as an auto scaling group replaces an instance, with a growing delay for a crash loop.
        child.delay = Date.now() - child.startedAt > STABLE_MS ? 500 : Math.min(Math.max(child.delay * 2, 500), 8000);
        child.timer = setTimeout(() => {
          if (child.wanted && !stopping) start(child);
          void report();
        }, child.delay);
      }
      void report();
    });
  };

  const stop = async (child: Child): Promise<void> => {
    child.wanted = false;
    clearTimeout(child.timer);
    const proc = child.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  };

  // Stops in stopOrder groups, highest first: the app processes before the servers they use.
  const stopAll = async (list: Child[]) => {
    const orders = [...new Set(list.map((c) => c.spec.stopOrder))].sort((a, b) => b - a);
    for (const order of orders) await Promise.all(list.filter((c) => c.spec.stopOrder === order).map(stop));
  };

  let applying = Promise.resolve();
  const apply = () => {
    applying = applying.then(async () => {
      if (stopping) return;
      let desired: Desired;
      try {
        desired = JSON.parse(await readFile(paths.desired, "utf8")) as Desired;
      } catch (err) {
        log(`cannot read desired.json: ${(err as Error).message}`);
        return;
      }
      const names = new Set(desired.processes.map((p) => p.name));
      const gone = [...children.values()].filter((c) => !names.has(c.spec.name));
      await stopAll(gone);
      for (const c of gone) children.delete(c.spec.name);
      for (const spec of desired.processes) {
        if (children.has(spec.name)) continue;
        const child: Child = { spec, starts: 0, lastExit: null, delay: 0, startedAt: 0, wanted: true };
        children.set(spec.name, child);
        start(child);
      }
      generation = desired.generation;
      await report();
    });
  };

  await mkdir(join(dir, "logs"), { recursive: true });
  process.on("SIGHUP", apply);
  const shutdown = async (signal: string) => {
    if (stopping) return;
    log(`${signal}: stopping every process`);
    await applying;
    stopping = true;
    await report();
    await stopAll([...children.values()]);
    children.clear();
    await report();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  log(`supervisor ${process.pid} for ${dir}`);
  apply();
  // Keep the event loop alive between signals.
  setInterval(() => undefined, 60_000);
}

export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}
