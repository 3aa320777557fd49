/**
 * The servers of a local stage, from the machine's own binaries: how each is started (a ProcessSpec for the
 * supervisor), how its folder is made, how the engine knows it answers. Everything binds to 127.0.0.1.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { cp, mkdir, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import type { ProcessSpec } from "./supervisor.ts";
import { httpStatus, tcpAnswers } from "../runbooks/lib/probes.ts";
import { HEALTH_CHECK } from "../runtime/servers.ts";

const run = promisify(execFile);

/** A server binary the stage needs, and the Debian command that installs it. */
const BINARIES = {
  mariadbd: { paths: ["/usr/sbin/mariadbd"], install: "apt-get install -y mariadb-server" },
  "mariadb-install-db": { paths: [], install: "apt-get install -y mariadb-server" },
  "redis-server": { paths: [], install: "apt-get install -y redis-server" },
  haproxy: { paths: ["/usr/sbin/haproxy"], install: "apt-get install -y haproxy" },
} as const;

export type Binary = keyof typeof BINARIES;

export class MissingBinary extends Error {}

/** The path of `name`, from its usual place or PATH; throws MissingBinary naming the command that installs it. */
export function binary(name: Binary): string {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const candidate of [...BINARIES[name].paths, ...dirs.map((d) => join(d, name)), join("/usr/sbin", name)]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new MissingBinary(`${name} is not installed: install it with \`${BINARIES[name].install}\` (Debian/Ubuntu) and run the command again`);
}

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
/**
 * Ports handed out below the kernel's ephemeral range (where outgoing connections take their source ports): a port
 * found free there cannot be taken by some connection's source port before the server that asked for it binds it,
 * as a port from `listen(0)` can (a server of a local stage or test then failed with "Address already in use").
 */
const ASSIGNED_FROM = 20_000;
const handedOut = new Set<number>();

function ephemeralStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0; // not Linux: no known range
  }
}

const listensOn = (port: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : undefined));
    });
  });

/** A free TCP port on 127.0.0.1, not handed out before by this process. */
export async function freePort(): Promise<number> {
  const below = ephemeralStart();
  if (below > ASSIGNED_FROM + 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = ASSIGNED_FROM + Math.floor(Math.random() * (below - ASSIGNED_FROM));
      if (handedOut.has(port) || (await listensOn(port)) === undefined) continue;
      handedOut.add(port);
      return port;
    }
  }
  const port = await listensOn(0);
  if (port === undefined) throw new Error("no free port on 127.0.0.1");
  return port;
}

/** True when GET url answers 200 within the timeout. */
export async function httpReady(url: string, timeoutMs = 2000): Promise<boolean> {
  return (await httpStatus(url, timeoutMs)) === 200;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export const portAnswers = (port: number, timeoutMs = 1000): Promise<boolean> => tcpAnswers("127.0.0.1", port, timeoutMs);

/** Polls `probe` until it holds; throws naming `what` (and the log to read) after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, hint = ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s${hint ? `: ${hint}` : ""}`);
}

/** Stop order: the app processes first, then the front door, then the servers they use. */
export const STOP_ORDER = { app: 3, haproxy: 2, standin: 1, data: 0 } as const;

// --- MariaDB --------------------------------------------------------------------------------------------------

export interface MariaDbForm {
  name: string;
  port: number;
  folder: string;
  serverId: number;
  replica: boolean;
}

export const mariadbSocket = (folder: string) => join(folder, "mysqld.sock");

/** Makes the server's data folder (a copy of one initialised template per DIR) unless it exists. */
export async function ensureMariaDbData(dataRoot: string, folder: string): Promise<void> {
  if (existsSync(join(folder, "data"))) return;
  const template = join(dataRoot, ".mariadb-template");
  if (!existsSync(join(template, "done"))) {
    await rm(template, { recursive: true, force: true });
    await mkdir(template, { recursive: true });
    await run(binary("mariadb-install-db"), [
      "--no-defaults", `--datadir=${join(template, "data")}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db",
    ], { timeout: 120_000 });
    await mkdir(join(template, "done"));
  }
  await mkdir(join(folder, "tmp"), { recursive: true });
  await cp(join(template, "data"), join(folder, "data"), { recursive: true });
}

/**
 * mariadbd with a binary log, GTIDs and its own server id, so any of them can be a replication source (the data
 * move makes the new database a replica of the old one); replicas are read-only.
 */
export function mariadbSpec(form: MariaDbForm): ProcessSpec {
  const { folder } = form;
  return {
    name: form.name, kind: "mariadb", command: binary("mariadbd"), cwd: folder, address: `127.0.0.1:${form.port}`, stopOrder: STOP_ORDER.data,
    env: {},
    args: [
      "--no-defaults", `--datadir=${join(folder, "data")}`, `--socket=${mariadbSocket(folder)}`, `--pid-file=${join(folder, "mysqld.pid")}`,
      `--port=${form.port}`, "--bind-address=127.0.0.1", `--tmpdir=${join(folder, "tmp")}`, "--user=root", "--skip-name-resolve",
      "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M", "--max-connections=500",
      `--server-id=${form.serverId}`, "--log-bin=mysql-bin", "--binlog-format=ROW", "--log-slave-updates",
      ...(form.replica ? ["--read-only"] : []),
    ],
  };
}

// --- Redis ----------------------------------------------------------------------------------------------------

/** `redis-server` as ElastiCache: the AUTH token as its password, no persistence (a cache). */
export function redisConfig(port: number, folder: string, password: string): string {
  // In a 0600 file rather than on the command line, where `ps` would show the token.
  return [`bind 127.0.0.1`, `port ${port}`, `dir ${folder}`, `save ""`, "appendonly no", `requirepass "${password}"`, ""].join("\n");
}

export function redisSpec(port: number, folder: string): ProcessSpec {
  return {
    name: "redis", kind: "redis", command: binary("redis-server"), cwd: folder, address: `127.0.0.1:${port}`, stopOrder: STOP_ORDER.data,
    env: {}, args: [join(folder, "redis.conf")],
  };
}

// --- HAProxy --------------------------------------------------------------------------------------------------

export interface FrontDoor {
  port: number;
  folder: string;
  /** `box`: every request to the box tier; `split`: GET/HEAD to read, the rest to write. */
  mode: "box" | "split";
  /** host:port of each tier's app processes, by tier. */
  servers: Record<string, { name: string; port: number }[]>;
}

export const haproxyPaths = (folder: string) => ({
  config: join(folder, "haproxy.cfg"),
  master: join(folder, "master.sock"),
  stats: join(folder, "stats.sock"),
  unavailable: join(folder, "503.http"),
});

/** The problem+json a request gets when no server can take it: 503 with Retry-After (as the service answers). */
export function unavailableResponse(): string {
  const body = JSON.stringify({
    type: "about:blank", title: "Service Unavailable", status: 503,
    detail: "no server can take this request right now (a server is switching): retry after Retry-After seconds",
  });
  return ["HTTP/1.1 503 Service Unavailable", "Content-Type: application/problem+json", "Retry-After: 1", "Cache-Control: no-store",
    "Connection: close", `Content-Length: ${Buffer.byteLength(body)}`, "", body].join("\r\n");
}

/**
 * The stacks' load balancer as an HAProxy config: the ALB's GET/HEAD listener rule, target groups health-checked on
 * /readyz. A reload (master-worker mode) hands the listening socket to the new worker, so the endpoint never closes.
 */
export function haproxyConfig(door: FrontDoor, healthPath: string): string {
  const p = haproxyPaths(door.folder);
  const backend = (tier: string) => [
    `backend ${tier}`,
    "  balance roundrobin",
    `  option httpchk GET ${healthPath}`,
    "  http-check expect status 200",
    // The stack's thresholds; checks a second apart instead of 15, so a local move or deploy waits seconds, not minutes.
    `  default-server check inter 1s fall ${HEALTH_CHECK.unhealthyThreshold} rise ${HEALTH_CHECK.healthyThreshold}`,
    "  retry-on conn-failure",
    "  option redispatch 1",
    ...(door.servers[tier] ?? []).map((s) => `  server ${s.name} 127.0.0.1:${s.port}`),
  ];
  const tiers = door.mode === "split" ? ["read", "write"] : ["box"];
  return [
    "global",
    "  maxconn 4096",
    `  stats socket ${p.stats} mode 600 level admin expose-fd listeners`,
    // Old workers finish their requests after a reload, for at most this long.
    "  hard-stop-after 20s",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-request 10s",
    "  retries 3",
    "  option forwardfor",
    // On a reload the old worker answers the next request on an idle keep-alive connection (with Connection: close)
    // instead of closing it under a client that may be sending: a POST lost that way gets no answer at all.
    "  option idle-close-on-response",
    `  errorfile 502 ${p.unavailable}`,
    `  errorfile 503 ${p.unavailable}`,
    `  errorfile 504 ${p.unavailable}`,
    "frontend web",
    `  bind 127.0.0.1:${door.port}`,
    ...(door.mode === "split" ? ["  acl reads method GET HEAD", "  use_backend read if reads", "  default_backend write"] : ["  default_backend box"]),
    ...tiers.flatMap(backend),
    "",
  ].join("\n");
}

export function haproxySpec(door: FrontDoor): ProcessSpec {
  const p = haproxyPaths(door.folder);
  return {
    name: "haproxy", kind: "haproxy", command: binary("haproxy"), cwd: door.folder, address: `127.0.0.1:${door.port}`,
    stopOrder: STOP_ORDER.haproxy, env: {},
    // -W: master-worker (SIGUSR2 reloads); -db: stay in the foreground, under the supervisor; -S: the master's socket.
    args: ["-W", "-db", "-S", `${p.master},mode,600`, "-f", p.config],
  };
}

/** Checks a config with `haproxy -c` before it is loaded; throws with HAProxy's own words. */
export async function checkHaproxyConfig(file: string): Promise<void> {
  try {
    await run(binary("haproxy"), ["-c", "-q", "-f", file], { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`HAProxy refuses ${file}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** One command on HAProxy's master socket (e.g. `show proc`); resolves its answer. */
export function masterCommand(socketPath: string, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let out = "";
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`HAProxy's master socket did not answer \`${command}\``));
    });
    // The master CLI keeps the connection open after answering: `quit` ends it.
    socket.on("connect", () => socket.write(`${command}; quit\n`));
    socket.on("data", (d) => (out += d.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

/** The pids of HAProxy's current workers and of its old ones (still finishing requests after a reload), from `show proc`. */
export function workersOf(showProc: string): { current: number[]; old: number[] } {
  const out = { current: [] as number[], old: [] as number[] };
  let section: "master" | "current" | "old" = "master";
  for (const raw of showProc.split("\n")) {
    const line = raw.trim();
    if (/^# old workers/i.test(line)) section = "old";
    else if (/^# workers/i.test(line)) section = "current";
    else if (line.startsWith("#")) continue;
    else {
      const [pid, type] = line.split(/\s+/);
      if (type === "worker" && section !== "master") out[section].push(Number(pid));
    }
  }
  return out;
}
