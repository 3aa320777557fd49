/**
 * The stacks as they are at a git ref, planned offline: REF's files are extracted (`git archive`) into a temporary
 * folder and its program is run there by a child process (the Pulumi SDK's state is global to a process, and REF's
 * sources are other modules than the working tree's). REF's node_modules is the working tree's when the lock file is
 * the same; otherwise `npm ci` runs in the copy, only when asked (it takes minutes and needs the registry).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Plan } from "../../stacks/plan.ts";
import { projectRoot } from "../../release/project-root.ts";


const run = promisify(execFile);

/** A mistake in what was asked (an unknown ref, a lock file that needs --install-base): exit 2. */
export class BaseTreeUsageError extends Error {
  constructor(message: string, readonly suggestions: string[]) {
    super(message);
  }
}

export interface BaseTree {
  ref: string;
  commit: string;
  dir: string;
  /** How its node_modules came to be: "linked" (same lock file) or "installed" (npm ci). */
  modules: "linked" | "installed";
  remove(): Promise<void>;
}

/** The working tree's root (the repository the CLI runs from). */
export const TREE_ROOT = projectRoot(import.meta.url);

/** REF's commit, or a usage error saying how to get it. */
export async function resolveRef(root: string, ref: string): Promise<string> {
  if (ref.startsWith("-")) throw new BaseTreeUsageError(`--base ${ref} is not a git ref`, ["scale stage diff --base origin/main"]);
  try {
    const { stdout } = await run("git", ["-C", root, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return stdout.trim();
  } catch {
    throw new BaseTreeUsageError(`--base ${ref} is not a commit in ${root}: fetch it first`, ["git fetch origin <branch> (in CI: actions/checkout with fetch-depth: 0)"]);
  }
}

/** Extracts REF into a temporary folder with a usable node_modules. `log` gets progress lines. */
export async function checkoutBase(root: string, ref: string, opts: { install: boolean; log: (line: string) => void }): Promise<BaseTree> {
  const commit = await resolveRef(root, ref);
  const dir = await mkdtemp(join(tmpdir(), "scale-base-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await pipe(["git", "-C", root, "archive", "--format=tar", commit], ["tar", "-x", "-C", dir]);
    const [here, there] = await Promise.all([readFile(join(root, "package-lock.json"), "utf8"), readFile(join(dir, "package-lock.json"), "utf8").catch(() => "")]);
    let modules: BaseTree["modules"] = "linked";
    if (here === there) {
      await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    } else if (opts.install) {
      opts.log(`package-lock.json differs at ${ref}: npm ci in its copy (${dir})`);
      // Install scripts are skipped: planning loads no native module, and compiling one (better-sqlite3) takes minutes.
      await run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
      modules = "installed";
    } else {
      throw new BaseTreeUsageError(`package-lock.json at ${ref} differs from the working tree's, so its dependencies cannot be borrowed: pass --install-base to run npm ci in its copy`, [`scale stage diff --base ${ref} --install-base`]);
    }
    return { ref, commit, dir, modules, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

function pipe(from: string[], to: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const a = spawn(from[0]!, from.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const b = spawn(to[0]!, to.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    a.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    b.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    a.stdout.pipe(b.stdin);
    a.on("error", reject);
    b.on("error", reject);
    // Both must have ended: the reader can close before the writer's exit is known.
    const ended = (p: typeof a | typeof b) => new Promise<number | null>((done) => p.once("close", (code) => done(code)));
    void Promise.all([ended(a), ended(b)]).then(([codeA, codeB]) => {
      if (codeA === 0 && codeB === 0) resolve();
      else reject(new Error(`${from.join(" ")} | ${to.join(" ")} failed: ${stderr.trim() || `exit ${codeA} | ${codeB}`}`));
    });
  });
}

/** One stage's plan at a tree, or why it could not be planned. */
export type TreePlan = { stage: number; plan: Plan } | { stage: number; error: string };

/**
 * Plans `stages` (all of the tree's stages when empty) with the tree's own program, in a child process.
 * Older trees' plans are brought to the current shape (a missing runtime or retainOnDelete).
 */
export async function planTree(dir: string, stages: number[], configFile: string | undefined, timeoutMs = 10 * 60_000): Promise<TreePlan[]> {
  const out = join(await mkdtemp(join(tmpdir(), "scale-plans-")), "plans.json");
  // The source, run through tsx: the compiled CLI in dist/ has no .ts beside it.
  const child = join(TREE_ROOT, "cli", "lib", "plan-tree-child.ts");
  try {
    await run(process.execPath, ["--import", "tsx", child, dir, out, configFile ?? "", ...stages.map(String)],
      { cwd: TREE_ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`planning the stacks in ${dir} failed: ${(error.stderr ?? "").trim().split("\n").slice(-5).join(" ") || error.message}`);
    });
    const plans = JSON.parse(await readFile(out, "utf8")) as TreePlan[];
    return plans.map((p) => ("plan" in p ? { stage: p.stage, plan: normalise(p.plan) } : p));
  } finally {
    await rm(join(out, ".."), { recursive: true, force: true });
  }
}

function normalise(plan: Plan): Plan {
  return {
    ...plan,
    runtime: plan.runtime ?? [],
    resources: plan.resources.map((r) => ({ ...r, parent: r.parent ?? null, protect: r.protect === true, retainOnDelete: r.retainOnDelete === true, ignoreChanges: r.ignoreChanges ?? [] })),
  };
}
