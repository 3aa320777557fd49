/**
 * Local stages for tests: a folder per stage whose supervisor is stopped when the test process exits (even after a
 * failed hook), the `scale local` commands in-process, and a client of the endpoint.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { json, scale, type ScaleRun } from "../cli/run-scale.ts";
import { tempDir } from "../support/tmp.ts";

const folders: string[] = [];
process.once("exit", () => {
  for (const dir of folders) {
    try {
      const running = JSON.parse(readFileSync(join(dir, "supervisor", "running.json"), "utf8")) as { pid: number };
      process.kill(running.pid, "SIGTERM"); // it stops every process it started, then exits
    } catch {
      // nothing runs there
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fresh folder for a local stage. */
export function localDir(prefix: string): string {
  const dir = tempDir(prefix);
  folders.push(dir);
  return dir;
}

export interface StageDoc {
  stage: number;
  endpoint: string;
  dir: string;
  components: { name: string; kind: string; address: string; pid: number | null; health?: string }[];
}

/** Runs `scale local <args> --json`, expecting exit 0; returns the JSON document. */
export async function local<T = StageDoc>(...args: string[]): Promise<T> {
  const run = await scale(["local", ...args, "--json"]);
  if (run.exit !== 0) throw new Error(`scale local ${args.join(" ")} exited ${run.exit}: ${run.stdout || run.message}\n${run.stderr.slice(-2000)}`);
  return json<T>(run);
}

export async function localRun(...args: string[]): Promise<ScaleRun> {
  return scale(["local", ...args, "--json"]);
}

/** Sign up and log in a user through the endpoint; returns the session token. */
export async function login(endpoint: string, username: string, password = "local-stage-pass"): Promise<string> {
  const body = JSON.stringify({ username, password });
  const headers = { "content-type": "application/json" };
  const signup = await fetch(`${endpoint}/v1/users`, { method: "POST", headers, body });
  if (![201, 409].includes(signup.status)) throw new Error(`sign-up answered ${signup.status}: ${await signup.text()}`);
  const res = await fetch(`${endpoint}/v1/sessions`, { method: "POST", headers, body });
  if (res.status !== 201) throw new Error(`log-in answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
