/**
 * The box's swap script run by bash against a folder standing in for /opt/scale-app, with `aws`, `systemctl` and
 * `curl` replaced by scripts (S3 is a folder, the service is "ready" when its release has a `ready` file).
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { boxSwapScript } from "../../rollout/box-swap.ts";
import { sha256File } from "../../rollout/release-archive.ts";
import { tempDir } from "../support/tmp.ts";

const run = promisify(execFile);

describe("rollout: the box's in-place swap", function () {
  this.timeout(30_000);
  const root = tempDir("scale-box-swap");
  const paths = { releases: join(root, "releases"), current: join(root, "current") };
  const bucket = join(root, "bucket");
  const shims = join(root, "shims");

  before(async () => {
    for (const d of [paths.releases, bucket, shims]) mkdirSync(d, { recursive: true });
    mkdirSync(join(paths.releases, "1.0.0"));
    writeFileSync(join(paths.releases, "1.0.0", "ready"), "");
    await run("ln", ["-sfn", join(paths.releases, "1.0.0"), paths.current]);
    const shim = (name: string, body: string) => {
      writeFileSync(join(shims, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(shims, name), 0o755);
    };
    shim("aws", `cp "${bucket}/$(basename "\${@: -2:1}")" "\${@: -1}"`);
    shim("systemctl", `echo "$*" >> "${root}/systemctl.log"`);
    shim("curl", `test -e "${paths.current}/ready"`);
  });

  async function release(version: string, ready: boolean) {
    const src = tempDir(`scale-box-release-${version}`);
    mkdirSync(join(src, "bin"));
    writeFileSync(join(src, "bin", "scale-app"), "#!/bin/sh\n");
    if (ready) writeFileSync(join(src, "ready"), "");
    const file = join(bucket, `scale-app-${version}.tar.gz`);
    await run("tar", ["-czf", file, "-C", src, "."]);
    return { version, bucket: "b", key: `releases/x/scale-app-${version}.tar.gz`, sha256: await sha256File(file) };
  }

  const swap = (r: Awaited<ReturnType<typeof release>>) =>
    run("bash", ["-c", boxSwapScript({ release: r, region: "us-east-1", readySeconds: 2, paths })], { env: { ...process.env, PATH: `${shims}:${process.env.PATH}` } })
      .then(() => 0, (err: { code: number }) => err.code);

  it("unpacks a release beside the others, points current at it and restarts the service", async () => {
    expect(await swap(await release("1.1.0", true))).to.equal(0);
    expect(readlinkSync(paths.current)).to.equal(join(paths.releases, "1.1.0"));
    expect(readFileSync(join(root, "systemctl.log"), "utf8")).to.equal("restart scale-app\n");
  });

  it("swaps back to the previous release when the new one is not ready, and exits 1", async () => {
    expect(await swap(await release("1.2.0", false))).to.equal(1);
    expect(readlinkSync(paths.current)).to.equal(join(paths.releases, "1.1.0"));
  });

  it("refuses an archive whose sha256 is not the release's, before touching anything", async () => {
    const r = await release("1.3.0", true);
    expect(await swap({ ...r, sha256: "0".repeat(64) })).to.not.equal(0);
    expect(readlinkSync(paths.current)).to.equal(join(paths.releases, "1.1.0"));
  });
});
