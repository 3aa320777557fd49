import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { TREE_ROOT } from "../../../cli/lib/base-tree.ts";
import { GITHUB_COMMENT_LIMIT } from "../../../cli/lib/plan-markdown.ts";

const run = promisify(execFile);

interface Run {
  stdout: string;
  stderr: string;
  exit: number;
}

/** `bin/scale ...` in `dir`, as a user runs it from a clone, with the exit code the shell sees. */
async function scaleIn(dir: string, args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(dir, "bin/scale"), ...args], { cwd: dir, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 });
    return { stdout, stderr, exit: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, exit: e.code };
  }
}

/** oclif wraps an error's message to the terminal's width: put it back on one line. */
function unwrap(stderr: string): string {
  return stderr.replace(/\s*\n ›\s+/g, " ");
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update the fixture`);
  await writeFile(file, text.replace(from, to));
}

/**
 * A clone-like repository of this tree (its tracked files as committed, plus uncommitted edits) with one more commit
 * that a careless pull request could make: the primary database's identifier renamed (RDS replaces the instance,
 * losing its data) and its protection dropped, a bigger database class, and a runtime setting changed on every tier.
 */
async function repoWithRiskyChange(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stage-diff-"));
  const git = (...args: string[]) => run("git", ["-C", dir, ...args]);
  const { stdout } = await run("git", ["-C", TREE_ROOT, "ls-files", "--cached", "--others", "--exclude-standard"]);
  await git("init", "-q");
  for (const file of stdout.split("\n").filter(Boolean)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(TREE_ROOT, file), join(dir, file)).catch(() => undefined); // deleted but not yet committed
  }
  await symlink(join(TREE_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  await git("add", "-A");
  await git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "base");
  await edit(join(dir, "stacks/components/database.ts"), "identifier: `${args.identifier}-primary`,", "identifier: `${args.identifier}-main`,");
  await edit(join(dir, "stacks/components/database.ts"), "applyImmediately: true,\n    }, { parent: this, protect: true, retainOnDelete: true });", "applyImmediately: true,\n    }, { parent: this, retainOnDelete: true });");
  await edit(join(dir, "Pulumi.example.yaml"), "dbInstanceClass: db.t3.medium", "dbInstanceClass: db.t3.large");
  await edit(join(dir, "runtime/settings.ts"), 'name: "MIGRATE_ON_START", readers: ["app"], summary: "every tier: `0` (the migration step runs before the service, with admin credentials)",\n    value: () => "0",',
    'name: "MIGRATE_ON_START", readers: ["app"], summary: "every tier: `0` (the migration step runs before the service, with admin credentials)",\n    value: () => "1",');
  await git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qam", "risky change");
  return dir;
}

describe("scale stage diff, from a clone, on a real change", function () {
  this.timeout(600_000);
  let repo: string;
  before(async () => {
    repo = await repoWithRiskyChange();
  });
  after(async () => {
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  it("prints the reviewer's markdown for every stage and exits 3 with --check when the database would be replaced", async () => {
    const r = await scaleIn(repo, ["stage", "diff", "--base", "HEAD~1", "--markdown", "--check"]);
    expect(r.exit, r.stderr).to.equal(3);
    expect(unwrap(r.stderr)).to.include("the transition guard refuses this change at stage 1, 2, 3, 4, 5");
    const md = r.stdout;
    expect(md.length).to.be.below(GITHUB_COMMENT_LIMIT);
    expect(md).to.match(/^<!-- scale-stage-report -->\n## Offline plan of this change, stage by stage/);
    expect(md).to.include("**⛔ The transition guard refuses this change at stage 1, 2, 3, 4, 5: it could lose data there.**");
    // Stage 0 runs MariaDB on the box: only the runtime setting changes there.
    // The box ignores changes to its user data: the runtime changes, the resources do not.
    expect(md).to.match(/\| 0 single-box \| runtime only \| allowed \|/);
    expect(md).to.match(/\| 1 users\+ \| 1 replace \| ⛔ \*\*refused\*\* \| \$138\.10 → \$187\.74 \| \+\$49\.64 \|/);
    expect(md).to.include("`stateful-replaced`: aws:rds/instance:Instance db-primary would be replaced (losing its data): identifier changed");
    expect(md).to.include("`stateful-unprotected`: aws:rds/instance:Instance db-primary holds data but is not protected at stage 1");
    expect(md).to.include("- `identifier`: `\"plan-db-primary\"` → `\"plan-db-main\"`");
    expect(md).to.include("- `instanceClass`: `\"db.t3.medium\"` → `\"db.t3.large\"`");
    expect(md).to.include("- `MIGRATE_ON_START`: `0` → `1`");
    // The user data carries the runtime: its change is shown decoded, as lines.
    expect(md).to.match(/`userData` \(base64, decoded\): 1 line\(s\) out, 1 in/);
    expect(md).to.include("Not priced (left out of the totals): ");
  });

  it("gives the same review as JSON for one stage", async () => {
    const r = await scaleIn(repo, ["stage", "diff", "--base", "HEAD~1", "--stage", "1", "--json"]);
    expect(r.exit, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout) as { guard: string; base: { ref: string }; stages: { stage: number; status: string; changes: { name: string; action: string; stateful: boolean; protect: boolean; values: { path: string; old?: unknown; new?: unknown }[] }[]; guard: { verdict: string; violations: { rule: string }[] }; runtimeChanges: { tier: string; env: { name: string; old: string; new: string }[] }[]; cost: { before: { monthly: number }; after: { monthly: number }; delta: number } }[] };
    expect(doc.guard).to.equal("refused");
    expect(doc.base.ref).to.equal("HEAD~1");
    expect(doc.stages.map((s) => s.stage)).to.deep.equal([1]);
    const [stage] = doc.stages;
    expect(stage!.status).to.equal("changed");
    const db = stage!.changes.find((c) => c.name === "db-primary")!;
    expect(db).to.deep.include({ action: "replace", stateful: true, protect: false });
    expect(db.values).to.deep.include({ path: "identifier", old: "plan-db-primary", new: "plan-db-main" });
    expect(db.values).to.deep.include({ path: "instanceClass", old: "db.t3.medium", new: "db.t3.large" });
    expect(stage!.guard.violations.map((v) => v.rule)).to.have.members(["stateful-replaced", "stateful-unprotected"]);
    expect(stage!.runtimeChanges).to.deep.equal([{ tier: "box", action: "changed", env: [{ name: "MIGRATE_ON_START", old: "0", new: "1" }], migrate: [] }]);
    expect(stage!.cost.delta).to.equal(49.64);
  });

  it("exits 3 from `stage plan --check` when a stage leaves the database unprotected", async () => {
    const r = await scaleIn(repo, ["stage", "plan", "--stage", "2", "--from", "1", "--markdown", "--check"]);
    expect(r.exit, r.stderr).to.equal(3);
    expect(r.stdout).to.include("**⛔ Transition guard: refused.** Moving from stage 1 to 2 could lose data");
    expect(unwrap(r.stderr)).to.include("db-primary holds data but is not protected at stage 2");
  });

  it("names --install-base when the lock file differs, and an unknown ref, with exit 2", async () => {
    await edit(join(repo, "package-lock.json"), "{", "{\n");
    const lock = await scaleIn(repo, ["stage", "diff", "--base", "HEAD~1"]);
    expect(lock.exit).to.equal(2);
    expect(unwrap(lock.stderr)).to.include("package-lock.json at HEAD~1 differs from the working tree's").and.include("--install-base");
    const unknown = await scaleIn(repo, ["stage", "diff", "--base", "no-such-branch"]);
    expect(unknown.exit).to.equal(2);
    expect(unwrap(unknown.stderr)).to.include("--base no-such-branch is not a commit");
  });
});
