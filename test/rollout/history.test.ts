import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { previousRelease } from "../../rollout/history.ts";
import { resolveReleaseArchive } from "../../rollout/release-archive.ts";
import { DeployError } from "../../rollout/report.ts";
import { tempDir } from "../support/tmp.ts";

const end = (version: string, previous: string, extra: Record<string, unknown> = {}) => ({
  kind: "deploy.end", target: "prod", outcome: "succeeded", release: { version, sha256: version }, previous: { version: previous, sha256: previous }, ...extra,
});

describe("rollout: the release a rollback returns to", () => {
  it("is the one deployed before the current one, rollbacks not counted", () => {
    const log = [end("1.1.0", "1.0.0"), end("1.2.0", "1.1.0"), end("1.1.0", "1.2.0", { rollback: true })];
    expect(previousRelease(log, "prod", "1.2.0")).to.deep.equal({ version: "1.1.0", sha256: "1.1.0" });
    // After the rollback to 1.1.0, a second rollback goes further back, not to 1.2.0 again.
    expect(previousRelease(log, "prod", "1.1.0")).to.deep.equal({ version: "1.0.0", sha256: "1.0.0" });
  });

  it("ignores failed and rolled-back deploys and other targets, and has none before the first", () => {
    const log = [end("1.1.0", "1.0.0"), end("9.9.9", "1.1.0", { outcome: "rolledBack" }), end("5.0.0", "4.0.0", { target: "staging" })];
    expect(previousRelease(log, "prod", "1.1.0")).to.deep.equal({ version: "1.0.0", sha256: "1.0.0" });
    expect(previousRelease(log, "prod", "1.0.0")).to.equal(undefined);
    expect(previousRelease([], "prod", "1.0.0")).to.equal(undefined);
  });
});

describe("rollout: --release FILE|VERSION", () => {
  const dir = tempDir("scale-release-spec");
  writeFileSync(join(dir, "scale-app-2.0.0.tar.gz"), "not really gzip, but named like one");
  writeFileSync(join(dir, "app.tar.gz"), "x");

  it("finds a version in the releases folder and computes the sha256 itself", async () => {
    const archive = await resolveReleaseArchive("2.0.0", dir);
    expect(archive).to.deep.include({ version: "2.0.0", file: join(dir, "scale-app-2.0.0.tar.gz"), bytes: 35 });
    expect(archive.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it("refuses a missing file, an unknown version and a file not named like a release (exit 2)", async () => {
    for (const [spec, words] of [[join(dir, "nope.tar.gz"), "no such file"], ["3.0.0", "scale release build"], [join(dir, "app.tar.gz"), "scale-app-<version>.tar.gz"]]) {
      const err = await resolveReleaseArchive(spec!, dir).then(() => undefined, (e: unknown) => e);
      expect(err, spec).to.be.instanceOf(DeployError);
      expect((err as DeployError).exit).to.equal(2);
      expect((err as DeployError).message).to.include(words);
    }
  });
});
