/**
 * How a local stage starts the service, the worker and the migration step: from the sources (tsx), or from an
 * unpacked release archive (`bin/scale-app`, `bin/scale-worker`). The engine asks only this seam.
 */
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { projectRoot } from "../release/project-root.ts";

export type Role = "app" | "worker" | "migrate";

/** A command line to start one role, in a folder. */
export interface Launch {
  command: string;
  args: string[];
  cwd: string;
}

export interface Launcher {
  /** What the processes run: `source`, or `release <version>`. Part of each process's identity: a new one restarts them. */
  id: string;
  launch(role: Role): Launch;
}

/** The repository this module belongs to. */
export const REPO_ROOT = projectRoot(import.meta.url);

const ENTRY: Record<Role, string> = { app: "app/main.ts", worker: "app/worker/main.ts", migrate: "app/migrate.ts" };

/** The sources, through tsx (as `npm start`, `npm run worker`, `npm run migrate`). */
export function sourceLauncher(root = REPO_ROOT): Launcher {
  return {
    id: "source",
    launch: (role) => ({ command: process.execPath, args: ["--import", "tsx", ENTRY[role]], cwd: root }),
  };
}

const RELEASE_BIN: Record<Role, string> = { app: "scale-app", worker: "scale-worker", migrate: "scale-migrate" };
const RELEASE_ID = /^release ([A-Za-z0-9._-]+)$/;

/** A release unpacked in `folder` (`bin/scale-app`, `bin/scale-worker`, `bin/scale-migrate` on its own Node). */
export function unpackedLauncher(folder: string, version: string): Launcher {
  return { id: `release ${version}`, launch: (role) => ({ command: join(folder, "bin", RELEASE_BIN[role]), args: [], cwd: folder }) };
}

/**
 * The release a local stage runs: `file` (a `scale-app-<version>.tar.gz`), or the checkout's own release, built
 * (cached by version: the same sources give the same archive) when no file is given; unpacked once into
 * DIR/releases/<version>.
 */
export async function releaseLauncher(dir: string, opts: { file?: string; log?: (line: string) => void } = {}): Promise<Launcher> {
  const { buildRelease, unpackRelease } = await import("../release/build.ts");
  const file = opts.file ? resolve(opts.file) : (await buildRelease({ root: REPO_ROOT, log: opts.log })).file;
  if (!existsSync(file)) throw new Error(`no release archive at ${file}: build one with \`scale release build\``);
  const version = basename(file).replace(/^scale-app-/, "").replace(/\.tar\.gz$/, "");
  const folder = join(dir, "releases", version);
  if (!existsSync(join(folder, "bin", "scale-app"))) {
    const staging = `${folder}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await unpackRelease(file, staging);
    await rm(folder, { recursive: true, force: true });
    await rename(staging, folder);
  }
  return unpackedLauncher(folder, version);
}

/** The launcher a folder's processes were started with (its state's `launcher`), for the commands after `up`. */
export function launcherOf(id: string, dir: string): Launcher {
  if (id === "source") return sourceLauncher();
  const version = RELEASE_ID.exec(id)?.[1];
  if (!version) throw new Error(`the local stage's launcher ${JSON.stringify(id)} is unknown: run \`scale local down\` and \`up\` again`);
  return unpackedLauncher(join(dir, "releases", version), version);
}
