/**
 * The rolling deploy's view (`LocalStage`) of a real local stage started by `scale local up`: the app processes
 * from DIR's state and its supervisor's desired state, HAProxy's admin socket in DIR/haproxy, and each process
 * stopped and started again through the supervisor, which does not bring back a process taken out of its desired
 * state.
 */
import { basename, dirname, join, resolve } from "node:path";
import { LocalStage as LocalEngine } from "../local/engine.ts";
import { REPO_ROOT, sourceLauncher, unpackedLauncher } from "../local/launcher.ts";
import { haproxyPaths } from "../local/servers.ts";
import { localPaths } from "../local/state.ts";
import type { ProcessSpec } from "../local/supervisor.ts";
import { HaproxyRuntime } from "./haproxy.ts";
import { LOCAL_TIERS, type LocalStage, type LocalTier, type TierProcess, type UnpackedRelease } from "./local.ts";

/** What a process started with `scale local up --release source` runs. */
export const SOURCE_RELEASE = "source";

export class SupervisedStage implements LocalStage {
  readonly haproxy: HaproxyRuntime;
  private readonly engine: LocalEngine;
  /** The specs of the processes this deploy stopped, to start them again on the same address. */
  private readonly stopped = new Map<string, ProcessSpec>();
  private readonly specs = new Map<string, ProcessSpec>();

  constructor(readonly dir: string) {
    this.dir = resolve(dir);
    this.engine = new LocalEngine(this.dir);
    this.haproxy = new HaproxyRuntime(haproxyPaths(localPaths(this.dir).haproxy).stats);
  }

  async processes(): Promise<TierProcess[]> {
    const apps = await this.engine.appProcesses();
    return apps.filter((a) => (LOCAL_TIERS as readonly string[]).includes(a.tier)).map(({ tier, spec, pid }) => {
      this.specs.set(spec.name, spec);
      // HAProxy's backends are named after the tiers and its servers after the processes (local/servers.ts).
      return { name: spec.name, tier: tier as LocalTier, address: spec.address, pid: pid ?? 0, backend: tier, server: spec.name };
    });
  }

  async releaseOf(process: TierProcess): Promise<UnpackedRelease> {
    const spec = this.specs.get(process.name) ?? this.stopped.get(process.name);
    if (!spec) throw new Error(`no app process ${process.name} in ${this.dir}`);
    return releaseOfSpec(spec);
  }

  async stop(process: TierProcess): Promise<void> {
    const spec = await this.engine.stopApp(process.name);
    this.stopped.set(process.name, spec);
    this.specs.delete(process.name);
  }

  async start(process: TierProcess, release: UnpackedRelease): Promise<TierProcess> {
    const spec = this.stopped.get(process.name);
    if (!spec) throw new Error(`${process.name} was not stopped by this deploy: nothing to start again`);
    const launch = release.version === SOURCE_RELEASE ? sourceLauncher().launch("app") : unpackedLauncher(release.dir, release.version).launch("app");
    const pid = await this.engine.startApp(spec, launch);
    this.stopped.delete(process.name);
    this.specs.set(process.name, { ...spec, command: launch.command, args: launch.args, cwd: launch.cwd });
    return { ...process, pid };
  }

  async adopt(release: UnpackedRelease): Promise<void> {
    await this.engine.adoptRelease(release.version);
  }
}

/** The release a spec's command runs: `<releases>/<version>/bin/scale-app`, or the sources through tsx. */
export function releaseOfSpec(spec: ProcessSpec): UnpackedRelease {
  if (basename(spec.command) === "scale-app" && basename(dirname(spec.command)) === "bin") {
    const dir = dirname(dirname(spec.command));
    return { version: basename(dir), dir };
  }
  return { version: SOURCE_RELEASE, dir: join(REPO_ROOT) };
}
