/**
 * What a server does with a release once user data has unpacked it (bin/scale-boot): read the tier's runtime,
 * resolve it into the service's environment file (secrets from Secrets Manager through the VPC's interface endpoint;
 * files 0400 and the env file 0600, owned by the service's user), run the migration step where the tier runs it
 * (the stage-0 box creates its database and application user; the write tier migrates RDS), install the tier's
 * systemd unit and `systemctl enable --now` it. Every step can be re-run: a second boot changes nothing it need not.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RuntimeBackend } from "../runtime/resolve.ts";
import { resolveEnv, writeResolved } from "../runtime/resolve.ts";
import { SERVER_PATHS } from "../runtime/servers.ts";
import { parseTierRuntime, type Tier } from "../runtime/sources.ts";
import { SERVICE_USER } from "./layout.ts";

const run = promisify(execFile);

/** The unit each tier runs. */
export const TIER_UNITS: Readonly<Record<Tier, string>> = Object.freeze({ box: "scale-app.service", read: "scale-app.service", write: "scale-app.service", worker: "scale-worker.service" });

/** Where systemd looks for units an administrator installs. */
export const UNIT_DIR = "/etc/systemd/system";

/** SERVER_PATHS (and the unit folder) under `root`: "/" on a server, a temporary folder in tests. */
export function serverPaths(root = "/") {
  const at = (p: string) => join(root, p);
  return {
    runtime: at(SERVER_PATHS.runtime), envFile: at(SERVER_PATHS.envFile), secretsDir: at(SERVER_PATHS.secretsDir),
    generatedDir: at(SERVER_PATHS.generatedDir), unitDir: at(UNIT_DIR),
  };
}

export interface BootOptions {
  tier: Tier;
  /** The runtime document user data wrote. */
  runtimeFile: string;
  /** The unpacked release this boot program belongs to (bin/, deploy/). */
  releaseDir: string;
  /** Where values come from (awsBackend on a server). */
  backend: RuntimeBackend;
  /** A prefix for every server path (tests). @default "/" */
  root?: string;
  /** The service's user. @default SERVICE_USER */
  user?: string;
  /** Attempts at the migration step while the database is not answering yet, and the pause between them. */
  migrateAttempts?: number;
  migrateRetryMs?: number;
  log?: (line: string) => void;
}

export interface BootResult {
  tier: Tier;
  envFile: string;
  /** Names (never values) of the settings written. */
  settings: string[];
  /** The migration step's JSON output, when the tier migrates. */
  migrated?: unknown;
  unit: string;
}

/** Boots a server's tier; rejects with an Error naming the step that failed. */
export async function bootServer(opts: BootOptions): Promise<BootResult> {
  const log = opts.log ?? (() => {});
  const paths = serverPaths(opts.root);
  const runtime = parseTierRuntime(await readFile(opts.runtimeFile, "utf8"));
  if (runtime.tier !== opts.tier) throw new Error(`the runtime in ${opts.runtimeFile} is the ${runtime.tier} tier's, and this server boots as ${opts.tier}`);

  const owner = await ensureUser(opts.user ?? SERVICE_USER, log);
  const app = await resolveEnv(runtime.env, opts.backend, { secretsDir: paths.secretsDir });
  await writeResolved(app, { envFile: paths.envFile, owner });
  log(`wrote ${paths.envFile}: ${Object.keys(app.env).join(", ")}`);

  let migrated: unknown;
  if (runtime.migrate) {
    const step = await resolveEnv(runtime.migrate, opts.backend, { secretsDir: paths.secretsDir });
    // The admin's password file is the migration step's (root's) alone: the service's user never reads it.
    const own = new Set(app.files.map((f) => f.path));
    for (const file of step.files.filter((f) => !own.has(f.path))) await putRootOnly(file.path, file.content);
    migrated = await migrate(opts, step.env, log);
  }

  const unit = TIER_UNITS[opts.tier];
  await mkdir(paths.unitDir, { recursive: true });
  await copyFile(join(opts.releaseDir, "deploy", unit), join(paths.unitDir, unit));
  await systemctl(["daemon-reload"]);
  await systemctl(["enable", "--now", unit]);
  log(`${unit} enabled and started`);
  return { tier: opts.tier, envFile: paths.envFile, settings: Object.keys(app.env), ...(runtime.migrate ? { migrated } : {}), unit };
}

/** The uid and gid of `user`, made a system user (no home, no shell) if it does not exist. */
async function ensureUser(user: string, log: (line: string) => void): Promise<{ uid: number; gid: number }> {
  const ids = async () => {
    const [uid, gid] = await Promise.all([run("id", ["-u", user]), run("id", ["-g", user])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run("useradd", ["--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", user]).catch((error: Error) => {
      throw new Error(`cannot create the service's user ${user}: ${error.message}`, { cause: error });
    });
    log(`created the system user ${user}`);
    return ids();
  }
}

async function putRootOnly(path: string, content: string): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true, mode: 0o711 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o400 });
  await rename(tmp, path);
}

/**
 * The release's migration step with the tier's migration environment (and nothing of the boot program's own
 * environment but PATH). Retried while it fails: at first boot the box's MariaDB or RDS may still be starting.
 */
async function migrate(opts: BootOptions, env: Record<string, string>, log: (line: string) => void): Promise<unknown> {
  const attempts = opts.migrateAttempts ?? 30;
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const { stdout } = await run(join(opts.releaseDir, "bin", "scale-migrate"), ["--json"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024,
      });
      const result = JSON.parse(stdout.trim().split("\n").pop()!) as unknown;
      log(`migration step done: ${stdout.trim()}`);
      return result;
    } catch (error) {
      const e = error as { code?: number; stderr?: string; message: string };
      last = (e.stderr ?? e.message).trim().split("\n")[0] ?? "";
      // Exit 2 is a usage or configuration error: no retry will fix it.
      if (e.code === 2) throw new Error(`the migration step refused its settings: ${last}`, { cause: error });
      log(`migration step failed (attempt ${attempt} of ${attempts}): ${last}`);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, opts.migrateRetryMs ?? 10_000));
    }
  }
  throw new Error(`the migration step failed ${attempts} times; last: ${last}`);
}

async function systemctl(args: string[]): Promise<void> {
  try {
    await run("systemctl", args, { timeout: 5 * 60_000 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`systemctl ${args.join(" ")} failed: ${(e.stderr ?? e.message).trim()}`, { cause: error });
  }
}
