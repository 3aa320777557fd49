/**
 * How a local stage starts the service, the worker and the migration step: from the sources (tsx), or from an
 * unpacked release archive (`bin/scale-app`, `bin/scale-worker`). The engine asks only this seam.
 */
import { fileURLToPath } from "node:url";

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
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const ENTRY: Record<Role, string> = { app: "app/main.ts", worker: "app/worker/main.ts", migrate: "app/migrate.ts" };

/** The sources, through tsx (as `npm start`, `npm run worker`, `npm run migrate`). */
export function sourceLauncher(root = REPO_ROOT): Launcher {
  return {
    id: "source",
    launch: (role) => ({ command: process.execPath, args: ["--import", "tsx", ENTRY[role]], cwd: root }),
  };
}
