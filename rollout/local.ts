/**
 * A rolling deploy on a local stage (contract §4): one app process at a time is drained out of HAProxy, stopped,
 * started again from the new release on the same address with the same environment, checked on /readyz, and put
 * back. A process that does not become ready in time is replaced by the old release again, and so is every process
 * already rolled: the tier serves the old release throughout, and the report says rolledBack.
 */
import { HEALTH_CHECK_PATH } from "../runtime/servers.ts";
import type { HaproxyRuntime } from "./haproxy.ts";
import { secondsSince, type DeployReport, type TierReport } from "./report.ts";

/** The tiers a local stage runs app processes for, in the order a deploy rolls them. */
export const LOCAL_TIERS = ["box", "read", "write"] as const;
export type LocalTier = (typeof LOCAL_TIERS)[number];

/** An unpacked release a process can run. */
export interface UnpackedRelease {
  version: string;
  /** The folder holding bin/scale-app. */
  dir: string;
}

/** One app process of a local stage, and the HAProxy server that sends it traffic. */
export interface TierProcess {
  /** The component's name, e.g. `app-read-1`. */
  name: string;
  tier: LocalTier;
  /** host:port it listens on, kept across a restart (HAProxy's server line names it). */
  address: string;
  pid: number;
  backend: string;
  server: string;
}

/** What a rolling deploy needs from a local stage. */
export interface LocalStage {
  /** The app processes, by tier. */
  processes(): Promise<TierProcess[]>;
  /** The runtime API of the stage's HAProxy. */
  readonly haproxy: HaproxyRuntime;
  /** The release a process runs now. */
  releaseOf(process: TierProcess): Promise<UnpackedRelease>;
  /** Stop the process (SIGTERM: it finishes what it holds) and wait for it to exit; nothing starts it again. */
  stop(process: TierProcess): Promise<void>;
  /** Start the process from `release` on the same address with the same environment; resolves once it runs. */
  start(process: TierProcess, release: UnpackedRelease): Promise<TierProcess>;
  /** Every process now runs `release`: the stage records it (for the processes it starts later). */
  adopt?(release: UnpackedRelease): Promise<void>;
}

export interface LocalRollOptions {
  /** How long a started process has to answer /readyz with 200. @default 60000 */
  readyTimeoutMs?: number;
  /** How long the old release, started again after a failure, has to become ready. @default 120000 */
  restoreTimeoutMs?: number;
  /** How long a drained server's connections have to end before it is stopped anyway. @default 30000 */
  drainTimeoutMs?: number;
  /** @default 200 */
  pollMs?: number;
  log?: (line: string) => void;
}

/** Roll `release` through every tier of `stage`, one process at a time. */
export async function rollLocal(stage: LocalStage, release: UnpackedRelease, options: LocalRollOptions = {}): Promise<DeployReport> {
  const opts = { readyTimeoutMs: 60_000, restoreTimeoutMs: 120_000, drainTimeoutMs: 30_000, pollMs: 200, log: () => undefined, ...options };
  const processes = await stage.processes();
  const tiers: TierReport[] = [];
  // What each rolled process ran before, newest first: the way back.
  const rolled: Array<{ process: TierProcess; previous: UnpackedRelease }> = [];
  for (const tier of LOCAL_TIERS) {
    const members = processes.filter((p) => p.tier === tier);
    if (members.length === 0) continue;
    const started = performance.now();
    const report: TierReport = { tier, replaced: 0, total: members.length, seconds: 0 };
    tiers.push(report);
    for (const member of members) {
      const previous = await stage.releaseOf(member);
      if (previous.version === release.version) {
        report.replaced += 1;
        continue;
      }
      try {
        await replace(stage, member, release, opts);
        rolled.unshift({ process: member, previous });
        report.replaced += 1;
        report.seconds = secondsSince(started);
        opts.log(`${tier}: ${report.replaced}/${report.total} replaced (${member.name} runs ${release.version}), ${report.seconds} s`);
      } catch (err) {
        report.seconds = secondsSince(started);
        opts.log(`${tier}: ${member.name} failed on ${release.version}: ${(err as Error).message}; rolling back`);
        await restore(stage, member, previous, opts);
        for (const r of rolled) {
          await replace(stage, r.process, r.previous, { ...opts, readyTimeoutMs: opts.restoreTimeoutMs });
          opts.log(`${r.process.tier}: ${r.process.name} back on ${r.previous.version}`);
        }
        return { release: release.version, tiers, rolledBack: true };
      }
    }
    report.seconds = secondsSince(started);
  }
  return { release: release.version, tiers, rolledBack: false };
}

type Opts = Required<LocalRollOptions>;

/** Out of HAProxy (drain, then maint), stopped, started from `release`, ready, back in. */
async function replace(stage: LocalStage, member: TierProcess, release: UnpackedRelease, opts: Opts): Promise<void> {
  await takeOut(stage, member, opts);
  await stage.stop(member);
  let started: TierProcess | undefined;
  try {
    started = await stage.start(member, release);
    await waitReady(member.address, opts);
  } catch (err) {
    if (started) await stage.stop(started).catch(() => undefined);
    throw err;
  }
  await putBack(stage, member, opts);
}

/** The member failed on the new release (it is out of HAProxy): start its previous release and put it back. */
async function restore(stage: LocalStage, member: TierProcess, previous: UnpackedRelease, opts: Opts): Promise<void> {
  const back = { ...opts, readyTimeoutMs: opts.restoreTimeoutMs };
  await stage.start(member, previous);
  await waitReady(member.address, back);
  await putBack(stage, member, back);
}

async function takeOut(stage: LocalStage, member: TierProcess, opts: Opts): Promise<void> {
  const { haproxy } = stage;
  // Never drain the last server that serves: wait for another of the backend to be up (when there is another).
  const others = (await haproxy.servers()).filter((s) => s.backend === member.backend && s.server !== member.server);
  if (others.length > 0) {
    await until(`another server of ${member.backend} up before ${member.server} drains`, opts.readyTimeoutMs, opts.pollMs, async () =>
      (await haproxy.servers()).some((s) => s.backend === member.backend && s.server !== member.server && isSteady(s.status)));
  }
  await haproxy.setState(member.backend, member.server, "drain");
  const drained = await until(`${member.server}'s connections to end`, opts.drainTimeoutMs, opts.pollMs, async () =>
    (await haproxy.server(member.backend, member.server)).sessions === 0).then(() => true, () => false);
  // Past the wait the process still gets SIGTERM, which lets it finish the requests it holds.
  if (!drained) opts.log(`${member.tier}: ${member.name} still had connections after ${opts.drainTimeoutMs} ms; stopping it anyway`);
  await haproxy.setState(member.backend, member.server, "maint");
}

async function putBack(stage: LocalStage, member: TierProcess, opts: Opts): Promise<void> {
  await stage.haproxy.setState(member.backend, member.server, "ready");
  // With health checks HAProxy sends traffic only once its own check passes: wait for that before the next one goes.
  await until(`HAProxy to see ${member.server} up`, opts.readyTimeoutMs, opts.pollMs, async () =>
    isServing((await stage.haproxy.server(member.backend, member.server)).status));
}

/** UP without a failed check pending ("UP 1/2" is going down), or "no check": safe to leave the backend to. */
function isSteady(status: string): boolean {
  return status === "UP" || status === "no check";
}

/** UP (possibly "UP 1/2" while checks settle) or "no check": HAProxy sends it requests. */
function isServing(status: string): boolean {
  return status.startsWith("UP") || status === "no check";
}

async function waitReady(address: string, opts: Opts): Promise<void> {
  const url = `http://${address}${HEALTH_CHECK_PATH}`;
  await until(`${url} to answer 200`, opts.readyTimeoutMs, opts.pollMs, async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  });
}

/** Polls `probe` until it is true; errors count as "not yet". Throws naming `what` when the time is up. */
async function until(what: string, timeoutMs: number, pollMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
