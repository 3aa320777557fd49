/**
 * Helpers for the app tests: deps on either wiring and a tiny client. The "servers" wiring uses the shared MariaDB
 * (a database unique to the test run) and Redis (a unique key prefix) unless URLs of throwaway servers are given.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createPool } from "mysql2/promise";
import { Redis } from "ioredis";
import { expect } from "chai";
import { loadConfig } from "../../app/config.ts";
import { openDatabase } from "../../app/db/connect.ts";
import { migrateWith } from "../../app/db/migrate.ts";
import { provisionAppAccount } from "../../app/db/provision.ts";
import { tempDir } from "../support/tmp.ts";
import { buildDeps, type Deps } from "../../app/wiring.ts";
import { createApp, type App } from "../../app/app.ts";
import type { Item } from "../../app/ports.ts";

export const SHARED_MARIADB = "mysql://root@127.0.0.1:3306";
export const SHARED_REDIS = "redis://127.0.0.1:6379";

export interface Harness {
  app: App;
  deps: Deps;
  /** The database and key prefix of the servers wiring, to start a second instance on the same data. */
  names?: { database: string; prefix: string };
  close(): Promise<void>;
}

export type Wiring = "embedded" | "servers";

export async function createDatabase(serverUrl: string, name: string): Promise<void> {
  const pool = createPool({ uri: serverUrl, connectionLimit: 1 });
  await pool.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`);
  await pool.end();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const pool = createPool({ uri: serverUrl, connectionLimit: 1 });
  await pool.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
  await pool.end();
}

/**
 * The migration step's work on a throwaway server, as root: the database, the application user `app` (password in a
 * file, as the service reads it) and the schema. The service then connects as `app`, which may only read and write rows.
 */
export async function provisionApp(rootUrl: string, database = "app") {
  const passwordFile = join(tempDir("scale-app-secret"), "db-password");
  const setPassword = (password: string) => writeFile(passwordFile, `${password}\n`);
  await setPassword("first-password-1");
  const root = openDatabase({ databaseUrl: rootUrl, poolSize: 1 });
  try {
    await provisionAppAccount(root.db as never, { database, user: "app", host: "%", password: "first-password-1" });
  } finally {
    await root.close();
  }
  const admin = openDatabase({ databaseUrl: `${rootUrl}/${database}`, poolSize: 1 });
  try {
    await migrateWith(admin);
  } finally {
    await admin.close();
  }
  const url = new URL(rootUrl);
  url.username = "app";
  url.pathname = `/${database}`;
  return { url: url.toString(), passwordFile, setPassword };
}

export async function deleteKeys(redisUrl: string, prefix: string) {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
  } catch {
    // the server may be gone (fault tests)
  } finally {
    r.disconnect();
  }
}

/** Start the app on a wiring. Extra env overrides the test defaults (no rate limit, silent logs). */
export async function startApp(
  wiring: Wiring,
  opts: {
    env?: Record<string, string>;
    mariadbUrl?: string;
    /** null: no Redis (sessions and the limiter in the database, as at stages 0-2). */
    redisUrl?: string | null;
    dataDir?: string;
    /** Share another instance's database and key prefix (servers wiring). */
    names?: { database: string; prefix: string };
    /** Replace ports (e.g. wrap the item store to count or hold reads) before the app is built on them. */
    wrap?: (deps: Deps) => void;
  } = {},
): Promise<Harness> {
  const suffix = randomBytes(4).toString("hex");
  // How late the event loop runs on a shared test box is not these tests' business (admission has its own test).
  const base = { LOG_LEVEL: "silent", RATE_LIMIT_PER_MINUTE: "0", ADMISSION_MAX_LAG_MS: "0", ...opts.env };
  if (wiring === "embedded") {
    const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "scale-app-")));
    const deps = await buildDeps(loadConfig({ ...base, DATA_DIR: dataDir }));
    opts.wrap?.(deps);
    return {
      app: createApp(deps),
      deps,
      async close() {
        await deps.close();
        if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const serverUrl = opts.mariadbUrl ?? SHARED_MARIADB;
  const redisUrl = opts.redisUrl === null ? undefined : (opts.redisUrl ?? SHARED_REDIS);
  const database = opts.names?.database ?? `app_test_${suffix}`;
  const prefix = opts.names?.prefix ?? `apptest:${suffix}:`;
  await createDatabase(serverUrl, database);
  const deps = await buildDeps(loadConfig({ ...base, DATABASE_URL: `${serverUrl}/${database}`, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, ...opts.env }));
  opts.wrap?.(deps);
  return {
    app: createApp(deps),
    deps,
    names: { database, prefix },
    async close() {
      await deps.close();
      if (!opts.names) await dropDatabase(serverUrl, database);
      if (redisUrl && !opts.names) await deleteKeys(redisUrl, prefix);
    },
  };
}

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

let userCounter = 0;

/** Sign up and log in a fresh user; returns its id and bearer headers. */
export async function newUser(app: App, name = `user${Date.now() % 100000}_${userCounter++}`) {
  const password = "correct-horse";
  const signup = await app.request("/v1/users", { method: "POST", ...json({ username: name, password }) });
  expect(signup.status, await signup.clone().text()).to.equal(201);
  const { id } = (await signup.json()) as { id: string };
  const login = await app.request("/v1/sessions", { method: "POST", ...json({ username: name, password }) });
  expect(login.status).to.equal(201);
  const { token } = (await login.json()) as { token: string };
  return { id, username: name, token, auth: { authorization: `Bearer ${token}` } };
}

/** An item as the API returns it: the same fields as the store's. */
export type ItemBody = Item;

export async function createItem(app: App, auth: Record<string, string>, content: string, headers: Record<string, string> = {}) {
  const res = await app.request("/v1/items", { method: "POST", ...json({ content }, { ...auth, ...headers }) });
  expect(res.status, await res.clone().text()).to.equal(201);
  return (await res.json()) as ItemBody;
}

/** Asserts an RFC 9457 problem with the status, and returns it. */
export async function expectProblem(res: Response, status: number) {
  const text = await res.text();
  expect(res.status, text).to.equal(status);
  expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
  const body = JSON.parse(text) as { type: string; title: string; status: number; detail: string };
  expect(body.status).to.equal(status);
  expect(body.detail).to.be.a("string").and.not.match(/at .*\.ts:\d+/);
  return body;
}
