/**
 * Throwaway MariaDB, Redis and HAProxy servers for tests that need a topology or a server they can kill:
 * each runs from the machine's own binaries on a free 127.0.0.1 port in a temporary folder, and
 * `stop()` removes it. The data folder survives `kill()`/`start()`, so a test can crash a server
 * and bring the same data back. MariaDB and Redis can require TLS (certificates from test/support/tls.ts).
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm, cp, mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../local/servers.ts";

const run = promisify(execFile);

// Servers still running when the test process exits (a failed hook, mocha's --exit) are killed with it.
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

// A free TCP port on 127.0.0.1: the local stages' own helper, re-exported for the tests' servers.
export { freePort };

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, proc?: ChildProcess) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with code ${proc.exitCode} while starting`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

function binary(name: string): string {
  return name === "mariadbd" ? "/usr/sbin/mariadbd" : name === "haproxy" ? "/usr/sbin/haproxy" : name;
}

/** PEM files for a server that requires TLS: its certificate and key, and the CA clients check it against. */
export interface ServerTls {
  ca: string;
  cert: string;
  key: string;
}

/** A throwaway server process with its own folder. */
abstract class ThrowawayServer {
  protected proc: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  protected abstract command(): { bin: string; args: string[] };
  protected abstract ready(): Promise<boolean>;
  abstract readonly label: string;

  /** Start (or start again after kill/stopProcess) on the same port and data. */
  async start(): Promise<void> {
    if (this.running) return;
    const { bin, args } = this.command();
    const proc = spawn(binary(bin), args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.proc = proc;
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    try {
      await waitUntil(`${this.label} on port ${this.port}`, () => this.ready(), 30_000, proc);
    } catch (err) {
      proc.kill("SIGKILL");
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
  }

  /** Kill the process abruptly (SIGKILL by default): a crash, data kept. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill(signal);
    await exited;
  }

  /** Stop the process cleanly (SIGTERM), data kept. */
  async stopProcess(): Promise<void> {
    await this.kill("SIGTERM");
  }

  async restart(): Promise<void> {
    await this.stopProcess();
    await this.start();
  }

  /** Stop the process and remove its folder. */
  async stop(): Promise<void> {
    await this.kill("SIGKILL");
    await rm(this.dir, { recursive: true, force: true });
  }
}

let templateDir: Promise<string> | undefined;

/** One initialised MariaDB data folder per test process, copied for each server (install takes ~2 s). */
function mariadbTemplate(): Promise<string> {
  templateDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "scale-mariadb-template-"));
    await run("mariadb-install-db", [
      "--no-defaults",
      `--datadir=${join(dir, "data")}`,
      "--user=root",
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
    ]);
    process.once("exit", () => rmSync(dir, { recursive: true, force: true })); // async work does not run at exit
    return dir;
  })();
  return templateDir;
}

export interface MariaDbOptions {
  /** Replication server id (needed for a primary/replica pair). @default 1 */
  serverId?: number;
  /** Write a binary log (a replication primary needs one). @default true */
  binlog?: boolean;
  /** More mariadbd flags, e.g. ["--read-only"]. */
  extraArgs?: string[];
  /** Require TLS on TCP (--require-secure-transport); the test tools then use the socket, which is exempt. */
  tls?: ServerTls;
}

export class MariaDbServer extends ThrowawayServer {
  readonly label = "mariadbd";
  constructor(
    port: number,
    dir: string,
    private readonly options: MariaDbOptions,
  ) {
    super(port, dir);
  }

  /** root with no password over TCP; append a database name: `${url}/mydb`. */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  protected command() {
    const o = this.options;
    const args = [
      "--no-defaults",
      `--datadir=${join(this.dir, "data")}`,
      `--socket=${join(this.dir, "mysqld.sock")}`,
      `--pid-file=${join(this.dir, "mysqld.pid")}`,
      `--port=${this.port}`,
      "--bind-address=127.0.0.1",
      // On-disk temporary tables are named by process id; servers sharing /tmp have collided there.
      `--tmpdir=${join(this.dir, "tmp")}`,
      "--user=root",
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=32M",
      "--innodb-log-file-size=16M",
      "--max-connections=500",
      `--server-id=${o.serverId ?? 1}`,
      ...(o.binlog === false ? [] : ["--log-bin=mysql-bin", "--binlog-format=ROW"]),
      ...(o.tls ? [`--ssl-ca=${o.tls.ca}`, `--ssl-cert=${o.tls.cert}`, `--ssl-key=${o.tls.key}`, "--require-secure-transport=ON"] : []),
      ...(o.extraArgs ?? []),
    ];
    return { bin: "mariadbd", args };
  }

  /** How the client tools reach the server: TCP, or its socket when TCP needs TLS. */
  private clientArgs(): string[] {
    const where = this.options.tls ? [`--socket=${join(this.dir, "mysqld.sock")}`] : ["-h127.0.0.1", `-P${this.port}`];
    return ["--no-defaults", ...where, "-uroot"];
  }

  protected async ready(): Promise<boolean> {
    await run("mariadb-admin", [...this.clientArgs(), "ping"], { timeout: 2000 });
    return true;
  }

  /** Run SQL through the mariadb client (for setup in tests; the code under test uses its own driver). */
  async sql(statement: string, database?: string): Promise<string> {
    const args = [...this.clientArgs(), "-N", "-B", "-e", statement];
    if (database) args.push(database);
    const { stdout } = await run("mariadb", args);
    return stdout;
  }
}

/** Start a throwaway MariaDB server. Call `stop()` in an `after` hook. */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbServer> {
  const template = await mariadbTemplate();
  const dir = await mkdtemp(join(tmpdir(), "scale-mariadb-"));
  await cp(join(template, "data"), join(dir, "data"), { recursive: true });
  await mkdir(join(dir, "tmp"));
  const server = new MariaDbServer(await freePort(), dir, options);
  await server.start();
  return server;
}

export interface RedisOptions {
  /** Serve TLS only (--tls-port, and --port 0 turns plain TCP off). */
  tls?: ServerTls;
  /** AUTH password (--requirepass), as ElastiCache's AUTH token. */
  password?: string;
}

export class RedisServer extends ThrowawayServer {
  readonly label = "redis-server";
  constructor(
    port: number,
    dir: string,
    private readonly options: RedisOptions = {},
  ) {
    super(port, dir);
  }
  /** redis://127.0.0.1:port, or rediss://:password@127.0.0.1:port with TLS. */
  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : "";
    return `${this.options.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${this.port}`;
  }
  protected command() {
    const { tls, password } = this.options;
    const listen = tls
      ? ["--port", "0", "--tls-port", String(this.port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"]
      : ["--port", String(this.port)];
    return {
      bin: "redis-server",
      args: ["--bind", "127.0.0.1", ...listen, ...(password ? ["--requirepass", password] : []), "--dir", this.dir, "--save", "", "--appendonly", "no"],
    };
  }
  protected async ready(): Promise<boolean> {
    const { tls, password } = this.options;
    const args = ["-h", "127.0.0.1", "-p", String(this.port), ...(tls ? ["--tls", "--cacert", tls.ca] : []), ...(password ? ["--no-auth-warning", "-a", password] : []), "ping"];
    const { stdout } = await run("redis-cli", args, { timeout: 2000 });
    return stdout.trim() === "PONG";
  }
}

/** Start a throwaway Redis server (no persistence). Call `stop()` in an `after` hook. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "scale-redis-"));
  await mkdir(dir, { recursive: true });
  const server = new RedisServer(await freePort(), dir, options);
  await server.start();
  return server;
}

/**
 * HAProxy in HTTP mode, round-robin over `backends` (host:port), adding X-Forwarded-For like a load balancer, and
 * naming the backend that answered in an X-Backend response header.
 */
export class HaproxyServer extends ThrowawayServer {
  readonly label = "haproxy";
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  protected command() {
    return { bin: "haproxy", args: ["-db", "-f", join(this.dir, "haproxy.cfg")] };
  }
  protected ready(): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", reject);
    });
  }
}

export async function startHaproxy(backends: string[]): Promise<HaproxyServer> {
  const dir = await mkdtemp(join(tmpdir(), "scale-haproxy-"));
  const port = await freePort();
  const config = [
    "global",
    "  maxconn 512",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  option forwardfor",
    "frontend web",
    `  bind 127.0.0.1:${port}`,
    "  default_backend app",
    "backend app",
    "  balance roundrobin",
    "  http-response set-header X-Backend %[srv_name]",
    ...backends.map((b, i) => `  server app${i + 1} ${b}`),
    "",
  ].join("\n");
  await writeFile(join(dir, "haproxy.cfg"), config);
  const server = new HaproxyServer(port, dir);
  await server.start();
  return server;
}
