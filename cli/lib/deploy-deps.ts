/**
 * Where `scale deploy` and `scale rollback` get AWS, the Pulumi stack record, a local stage and the release tools.
 * Tests swap them with `useDeployDeps` (the commands run in-process); real runs load them lazily.
 */
import { join } from "node:path";
import type { DeployDeps } from "../../rollout/run.ts";
import { PulumiCliMissing } from "./engine.ts";
import { projectRoot } from "../../release/project-root.ts";

const PROJECT_DIR = projectRoot(import.meta.url);

const real: DeployDeps = {
  async aws(region) {
    const [{ S3Client }, { AutoScalingClient }, { EC2Client }, { ElasticLoadBalancingV2Client }, { SSMClient }] = await Promise.all([
      import("@aws-sdk/client-s3"), import("@aws-sdk/client-auto-scaling"), import("@aws-sdk/client-ec2"),
      import("@aws-sdk/client-elastic-load-balancing-v2"), import("@aws-sdk/client-ssm"),
    ]);
    return { s3: new S3Client({ region }), autoscaling: new AutoScalingClient({ region }), ec2: new EC2Client({ region }), elb: new ElasticLoadBalancingV2Client({ region }), ssm: new SSMClient({ region }) };
  },
  async stackRecord() {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
    const select = async (stackName: string) => {
      try {
        return await LocalWorkspace.selectStack({ stackName, workDir: PROJECT_DIR });
      } catch (err) {
        if (/ENOENT/.test(String((err as Error).message)) || (err as { code?: string }).code === "ENOENT") throw new PulumiCliMissing();
        throw err;
      }
    };
    return {
      async release(stack) {
        const value = (await (await select(stack)).getAllConfig())["scale-to-millions:release"]?.value;
        if (!value) throw new Error(`stack ${stack} has no release config: set it with \`pulumi config set --path release.version ...\` (docs/stacks.md)`);
        return JSON.parse(value) as never;
      },
      async setRelease(stack, release) {
        await (await select(stack)).setConfig("release", { value: JSON.stringify(release) });
      },
      async targets(stack) {
        const rollout = (await (await select(stack)).outputs()).rollout?.value;
        if (!rollout) throw new Error(`stack ${stack} exports no rollout targets: run \`scale stage up\` (or \`pulumi up\`) once with this version of the stacks`);
        return rollout as never;
      },
    };
  },
  async localStage(dir) {
    const [{ SupervisedStage }, { readState }, { resolve }] = await Promise.all([import("../../rollout/local-stage.ts"), import("../../local/state.ts"), import("node:path")]);
    const state = await readState(resolve(dir));
    if (!state?.running) throw new Error(`no local stage runs in ${dir}: start one with \`scale local up --stage 2 --dir ${dir}\``);
    return new SupervisedStage(dir);
  },
  async unpack(archive, into) {
    const { unpackRelease } = await import("../../release/build.ts");
    return { version: archive.version, dir: await unpackRelease(archive.file!, join(into, archive.version)) };
  },
  async build(releasesDir, log) {
    const { buildRelease } = await import("../../release/build.ts");
    return buildRelease({ root: PROJECT_DIR, outDir: releasesDir, log });
  },
};

// Kept on globalThis, not in a module variable: oclif may load the command files as a second instance of this
// module, and a test's override must reach the instance the command sees.
const KEY = Symbol.for("scale-to-millions.deployDeps");
const slot = globalThis as { [KEY]?: DeployDeps };

export function deployDeps(): DeployDeps {
  return slot[KEY] ?? real;
}

/** Replace some dependencies; returns a function that puts the real ones back. */
export function useDeployDeps(overrides: Partial<DeployDeps>): () => void {
  slot[KEY] = { ...real, ...overrides };
  return () => {
    delete slot[KEY];
  };
}
