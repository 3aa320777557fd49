/**
 * A data move's rig on this machine: two throwaway MariaDB servers (source with the app's schema and account,
 * an empty target), the real service as a child process on the source behind a switchable front door, and a
 * writer load of logged-in sessions posting items with Idempotency-Key retries. The switch starts a second
 * service process on the target (ahead of time, when `prepare()` is called) and turns the front door to it.
 */
import { createServer, request, type Server } from "node:http";
import { startMariaDb, type MariaDbServer } from "./servers.ts";
import { startMain } from "./app-process.ts";
import { provisionApp } from "../app/support.ts";

/** An HTTP front door whose backend can be swapped; requests already forwarded finish on the old one. */
export class FrontDoor {
  private server: Server;
  backend = "";
  constructor() {
    this.server = createServer((req, res) => {
      const to = new URL(req.url ?? "/", this.backend);
      const up = request(to, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", (e) => res.writeHead(502).end(e.message));
      req.pipe(up);
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

type AppProcess = ReturnType<typeof startMain>;

export interface Ack {
  id: string;
  content: string;
}

export interface LoadReport {
  acked: Ack[];
  refused: number;
  /** Failed requests that were not a 503 with Retry-After: the promise broken. */
  violations: string[];
}

export class MoveRig {
  source!: MariaDbServer;
  target!: MariaDbServer;
  front = new FrontDoor();
  url = "";
  private env: Record<string, string> = {};
  private apps: AppProcess[] = [];
  private next: Promise<string> | undefined;
  private stopping = false;
  private load: Promise<LoadReport> | undefined;

  async start(): Promise<void> {
    [this.source, this.target] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    const app = await provisionApp(this.source.url);
    this.env = { DATABASE_PASSWORD_FILE: app.passwordFile, MIGRATE_ON_START: "0", RATE_LIMIT_PER_MINUTE: "0", PORT: "0", LOG_LEVEL: "error" };
    this.front.backend = await this.startApp(this.source);
    this.url = await this.front.listen();
  }

  private async startApp(db: MariaDbServer): Promise<string> {
    const p = startMain({ ...this.env, DATABASE_URL: `mysql://app@127.0.0.1:${db.port}/app` });
    this.apps.push(p);
    return p.listening;
  }

  /** Start the service on the target before the freeze, so the switch only turns the front door. */
  async prepare(): Promise<void> {
    this.next ??= this.startApp(this.target);
    await this.next;
  }

  async switchServers(): Promise<void> {
    await this.prepare();
    this.front.backend = await this.next!;
  }

  /** The service reads and writes through the front door (a fresh user: sign up, log in, write, read back). */
  async checkServing(): Promise<void> {
    const name = `probe_${Date.now() % 1e8}`;
    const signup = await this.call("POST", "/v1/users", { username: name, password: "probe-password-1" });
    if (signup.status !== 201) throw new Error(`sign-up through the front door answered ${signup.status}`);
    const token = await this.login(name, "probe-password-1");
    const w = await this.call("POST", "/v1/items", { content: "probe" }, { authorization: `Bearer ${token}` });
    if (w.status !== 201) throw new Error(`a write through the front door answered ${w.status}`);
    const id = ((await w.json()) as { id: string }).id;
    const r = await this.call("GET", `/v1/items/${id}`);
    if (r.status !== 200) throw new Error(`reading the probe item answered ${r.status}`);
  }

  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  }

  async login(username: string, password: string): Promise<string> {
    const res = await this.call("POST", "/v1/sessions", { username, password });
    if (res.status !== 201) throw new Error(`log-in answered ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  }

  /** Insert `count` items of `bytes` bytes straight into the source, owned by one user, as the service stores them. */
  async fill(count: number, bytes: number): Promise<void> {
    const { createConnection } = await import("mysql2/promise");
    const conn = await createConnection({ uri: `${this.source.url}/app` });
    try {
      const owner = "00000000-0000-7000-8000-000000000001";
      await conn.query("INSERT INTO users (id, username, password_hash, created_at) VALUES (?, 'filler', 'x', ?)", [owner, Date.now()]);
      const content = "x".repeat(bytes);
      for (let i = 0; i < count; i += 1000) {
        const rows = Array.from({ length: Math.min(1000, count - i) }, (_, j) => {
          const now = Date.now();
          return [`00000000-0000-7000-9000-${String(i + j).padStart(12, "0")}`, owner, content, 1, now, now];
        });
        await conn.query("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) VALUES ?", [rows]);
      }
    } finally {
      await conn.end();
    }
  }

  /** Writers, each a logged-in session posting items; a 503 is retried with the same Idempotency-Key. */
  startLoad(writers = 3): void {
    this.stopping = false;
    const report: LoadReport = { acked: [], refused: 0, violations: [] };
    this.load = Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const name = `writer_${w}_${Date.now() % 1e6}`;
        await this.call("POST", "/v1/users", { username: name, password: "writer-password-1" });
        const token = await this.login(name, "writer-password-1");
        for (let n = 0; !this.stopping; n++) {
          const content = `w${w}-${n}`;
          for (;;) {
            const res = await this.call("POST", "/v1/items", { content }, { authorization: `Bearer ${token}`, "idempotency-key": `${name}-${n}` }).catch(
              (e: Error) => ({ status: 0, error: e.message }) as const,
            );
            if (res.status === 201) {
              const body = (await (res as Response).json()) as Ack;
              report.acked.push({ id: body.id, content: body.content });
              break;
            }
            if (res.status === 503 && (res as Response).headers.get("retry-after")) {
              report.refused++;
              await (res as Response).body?.cancel();
              await new Promise((r) => setTimeout(r, 50));
              if (this.stopping) break;
              continue;
            }
            report.violations.push(`${content}: ${res.status} ${"error" in res ? res.error : await (res as Response).text()}`);
            // Not a tight loop against a front door that fails at once.
            await new Promise((r) => setTimeout(r, 50));
            break;
          }
        }
      }),
    ).then(() => report);
  }

  async stopLoad(): Promise<LoadReport> {
    this.stopping = true;
    return this.load!;
  }

  /** Every acknowledged item reads back through the front door with the content acknowledged. */
  async missing(acked: Ack[]): Promise<string[]> {
    const lost: string[] = [];
    for (const a of acked) {
      const res = await this.call("GET", `/v1/items/${a.id}`);
      if (res.status !== 200) lost.push(`${a.id}: ${res.status}`);
      else if (((await res.json()) as Ack).content !== a.content) lost.push(`${a.id}: content differs`);
    }
    return lost;
  }

  async stop(): Promise<void> {
    // A test that failed mid-move never called stopLoad: its writers must not go on against servers being stopped.
    this.stopping = true;
    await Promise.race([this.load?.catch(() => undefined), new Promise((r) => setTimeout(r, 20_000).unref())]);
    for (const p of this.apps) p.proc.kill("SIGKILL");
    await this.front.close().catch(() => undefined);
    await Promise.all([this.source?.stop(), this.target?.stop()]);
  }
}

/**
 * A lighter rig for interruption tests: the two servers and a writer that inserts items as the application user
 * (which read_only binds) into whichever server the "switch" points it at.
 */
export class SqlRig {
  source!: MariaDbServer;
  target!: MariaDbServer;
  acked: string[] = [];
  refused = 0;
  violations: string[] = [];
  private pools: Record<"source" | "target", import("mysql2/promise").Pool> = {} as never;
  current: "source" | "target" = "source";
  private stopping = false;
  private loop: Promise<void> | undefined;

  async start(): Promise<void> {
    [this.source, this.target] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    await provisionApp(this.source.url);
    const { createPool } = await import("mysql2/promise");
    for (const side of ["source", "target"] as const)
      this.pools[side] = createPool({ uri: `mysql://app:first-password-1@127.0.0.1:${this[side].port}/app`, connectionLimit: 2 });
    await this.source.sql("INSERT INTO users (id, username, password_hash, created_at) VALUES ('u1', 'writer', 'x', 0)", "app");
    await this.source.sql(
      "INSERT INTO items (id, owner_id, content, version, created_at, updated_at) SELECT CONCAT('seed-', seq), 'u1', REPEAT('s', 1024), 1, 0, 0 FROM seq_1_to_500",
      "app",
    );
    this.loop = this.write();
  }

  private async write(): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const id = `w-${n}`;
      for (;;) {
        try {
          await this.pools[this.current].query("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) VALUES (?, 'u1', ?, 1, 0, 0)", [id, `c${n}`]);
          this.acked.push(id);
          break;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === "ER_OPTION_PREVENTS_STATEMENT" || code === "ER_READ_ONLY_MODE") {
            this.refused++;
            await new Promise((r) => setTimeout(r, 20));
            if (this.stopping) return;
            continue;
          }
          this.violations.push(`${id}: ${code} ${(err as Error).message}`);
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async switchServers(): Promise<void> {
    this.current = "target";
  }

  async checkServing(): Promise<void> {
    await this.pools.target.query("SELECT 1 FROM items LIMIT 1");
    await this.pools.target.query("UPDATE users SET created_at = created_at + 1 WHERE id = 'u1'");
  }

  async stopWriter(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Acknowledged ids the given server does not hold. */
  async missingOn(side: "source" | "target"): Promise<string[]> {
    const [rows] = await this.pools[side].query("SELECT id FROM items");
    const have = new Set((rows as Array<{ id: string }>).map((r) => r.id));
    return this.acked.filter((id) => !have.has(id));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop?.catch(() => undefined);
    await Promise.all(Object.values(this.pools).map((p) => p.end().catch(() => undefined)));
    await Promise.all([this.source?.stop(), this.target?.stop()]);
  }
}
