/**
 * A stage-2-shaped local stage for rollout tests, from real parts: HAProxy (GET/HEAD to the read backend, the rest
 * to the write backend, /readyz health checks, an admin socket) in front of app processes started from release
 * archives made here. A "good" release runs this checkout's service; a "bad" one listens but never answers /readyz
 * with 200. Each process's command line names its release, so a test can tell which one serves.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { HaproxyRuntime } from "../../rollout/haproxy.ts";
import type { LocalStage, LocalTier, TierProcess, UnpackedRelease } from "../../rollout/local.ts";
import { freePort } from "./servers.ts";
import { tempDir } from "./tmp.ts";

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");

/** Writes `scale-app-<version>.tar.gz` into `outDir` with a bin/scale-app of the given kind; returns its path. */
export async function makeRelease(outDir: string, version: string, kind: "good" | "bad"): Promise<string> {
  const root = tempDir(`scale-release-${version}`);
  mkdirSync(join(root, "bin"));
  const bad = `require("node:http").createServer((q, s) => { s.statusCode = 503; s.end("never ready"); }).listen(Number(process.env.PORT), "127.0.0.1")`;
  const script = kind === "good"
    ? `#!/bin/sh\ncd '${REPO}' && exec '${process.execPath}' --import tsx app/main.ts --release=${version}\n`
    : `#!/bin/sh\nexec '${process.execPath}' -e '${bad}' -- --release=${version}\n`;
  writeFileSync(join(root, "bin", "scale-app"), script);
  chmodSync(join(root, "bin", "scale-app"), 0o755);
  const file = join(outDir, `scale-app-${version}.tar.gz`);
  await run("tar", ["-czf", file, "-C", root, "bin"]);
  return file;
}

/** The release version a process's command line names (`--release=<version>`), or undefined. */
export function releaseOfPid(pid: number): string | undefined {
  try {
    return /--release=([^\0]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

interface Slot {
  process: TierProcess;
  release: UnpackedRelease;
  child: ChildProcess;
  exited: Promise<void>;
}

/** The fixture stage: `start()` it with a release, `down()` at the end. */
export class RolloutStage implements LocalStage {
  readonly dir = tempDir("scale-rollout-stage");
  readonly haproxy = new HaproxyRuntime(join(this.dir, "haproxy.sock"));
  private readonly slots = new Map<string, Slot>();
  private lb: ChildProcess | undefined;
  endpoint = "";

  constructor(
    private readonly env: Record<string, string>,
    private readonly shape: Record<"read" | "write", number> = { read: 2, write: 2 },
  ) {}

  async up(release: UnpackedRelease): Promise<void> {
    for (const tier of ["read", "write"] as const) {
      for (let i = 1; i <= this.shape[tier]; i++) {
        const name = `app-${tier}-${i}`;
        const process: TierProcess = { name, tier, address: `127.0.0.1:${await freePort()}`, pid: 0, backend: tier, server: name };
        await this.start(process, release);
      }
    }
    await Promise.all([...this.slots.values()].map((s) => waitFor(`http://${s.process.address}/readyz`)));
    await this.startHaproxy();
  }

  private async startHaproxy(): Promise<void> {
    const port = await freePort();
    const servers = (tier: LocalTier) => [...this.slots.values()].filter((s) => s.process.tier === tier).map((s) => `  server ${s.process.server} ${s.process.address} check`);
    const config = [
      "global", "  maxconn 2000", `  stats socket ${this.haproxy.socket} mode 600 level admin`,
      "defaults", "  mode http", "  timeout connect 2s", "  timeout client 30s", "  timeout server 30s", "  option forwardfor",
      // The ALB's own thresholds are of this order: a check a loaded machine answers late must not take a server out.
      "  option httpchk GET /readyz", "  timeout check 5s", "  default-server inter 1s fall 3 rise 2",
      "frontend web", `  bind 127.0.0.1:${port}`, "  acl read method GET HEAD", "  use_backend read if read", "  default_backend write",
      "backend read", "  balance roundrobin", "  http-response set-header X-Backend %[srv_name]", ...servers("read"),
      "backend write", "  balance roundrobin", "  http-response set-header X-Backend %[srv_name]", ...servers("write"), "",
    ].join("\n");
    writeFileSync(join(this.dir, "haproxy.cfg"), config);
    this.lb = spawn("/usr/sbin/haproxy", ["-db", "-f", join(this.dir, "haproxy.cfg")], { stdio: "ignore" });
    this.endpoint = `http://127.0.0.1:${port}`;
    await waitFor(`${this.endpoint}/readyz`);
  }

  async processes(): Promise<TierProcess[]> {
    return [...this.slots.values()].map((s) => s.process);
  }

  async releaseOf(process: TierProcess): Promise<UnpackedRelease> {
    return this.slot(process).release;
  }

  async stop(process: TierProcess): Promise<void> {
    const slot = this.slot(process);
    slot.child.kill("SIGTERM");
    await slot.exited;
  }

  async start(process: TierProcess, release: UnpackedRelease): Promise<TierProcess> {
    const port = process.address.split(":")[1]!;
    const child = spawn(join(release.dir, "bin", "scale-app"), [], {
      env: { ...globalThis.process.env, LOG_LEVEL: "warn", ...this.env, PORT: port },
      stdio: "ignore",
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const started = { ...process, pid: child.pid ?? 0 };
    this.slots.set(process.name, { process: started, release, child, exited });
    return started;
  }

  /** The release each process's command line names, by process name. */
  serving(): Record<string, string | undefined> {
    return Object.fromEntries([...this.slots.values()].map((s) => [s.process.name, releaseOfPid(s.process.pid)]));
  }

  async down(): Promise<void> {
    for (const s of this.slots.values()) s.child.kill("SIGTERM");
    await Promise.all([...this.slots.values()].map((s) => s.exited));
    this.lb?.kill("SIGTERM");
  }

  private slot(process: TierProcess): Slot {
    const slot = this.slots.get(process.name);
    if (!slot) throw new Error(`no process ${process.name}`);
    return slot;
  }
}

/** Unpacks an archive into `<into>/<version>` with tar. */
export async function unpackTo(file: string, version: string, into: string): Promise<UnpackedRelease> {
  const dir = join(into, version);
  mkdirSync(dir, { recursive: true });
  await run("tar", ["-xzf", file, "-C", dir]);
  return { version, dir };
}

async function waitFor(url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
