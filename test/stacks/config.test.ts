import { expect } from "chai";
import { parseStackConfig, StackConfigError } from "../../stacks/config.ts";
import { planStage } from "../../stacks/plan.ts";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const RELEASE = { version: "1.2.0-abc", artifact: "s3://artifacts/releases/scale-app-1.2.0-abc.tar.gz", sha256: SHA };
const BASE = { stage: "0", domain: "app.example.com", hostedZoneId: "Z0123456789ABC", release: RELEASE };

function errorOf(raw: Record<string, unknown>): StackConfigError {
  try {
    parseStackConfig({ ...BASE, ...raw });
  } catch (error) {
    expect(error).to.be.instanceOf(StackConfigError);
    return error as StackConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe("stacks/config: configuration is validated before anything is registered", () => {
  it("parses the engine's strings and the namespaced keys, with defaults", () => {
    const config = parseStackConfig({ ...BASE, "scale-to-millions:stage": "3", "aws:region": "eu-west-1", cacheAuthToken: "0123456789abcdef", replicaCount: "1" });
    expect(config).to.include({ stage: 3, replicaCount: 1, azCount: 2, dbInstanceClass: "db.t3.medium" });
    expect(config.sshAllowlist).to.deep.equal([]);
    expect(Object.isFrozen(config)).to.equal(true);
    expect(config.release).to.deep.equal(RELEASE);
  });

  it("reads the release from YAML and from the engine's JSON string alike", () => {
    expect(parseStackConfig({ ...BASE, release: JSON.stringify(RELEASE) }).release).to.deep.equal(RELEASE);
  });

  const CASES: [string, Record<string, unknown>, string, RegExp][] = [
    ["an invalid stage", { stage: "7" }, "stage", /stage": 7 is not allowed; allowed: 0, 1, 2, 3, 4, 5/],
    ["a non-numeric stage", { stage: "three" }, "stage", /allowed: 0, 1, 2, 3, 4, 5/],
    ["an allowlist entry that is not a CIDR", { sshAllowlist: ["203.0.113.7"] }, "sshAllowlist", /"203.0.113.7" at sshAllowlist.0 is not allowed; allowed: a list of IPv4 CIDRs/],
    ["0.0.0.0/0 for SSH", { sshAllowlist: ["203.0.113.0/24", "0.0.0.0/0"] }, "sshAllowlist", /"0.0.0.0\/0" at sshAllowlist.1 .*never 0.0.0.0\/0/],
    ["fewer than 2 AZs from stage 2", { stage: "2", azCount: "1" }, "azCount", /1 AZ is too few at stage 2/],
    ["a missing domain", { domain: undefined }, "domain", /domain": is required/],
    ["an unknown key", { instanceType: "t3.micro" }, "instanceType", /unknown key; allowed: one of stage, domain/],
    ["no cache token from stage 3", { stage: "3" }, "cacheAuthToken", /is required from stage 3/],
    ["capacity with min above max", { capacity: { read: { min: 5, max: 2, desired: 3 } } }, "capacity", /min <= desired <= max/],
    ["an alert endpoint over plain HTTP", { alertEndpoint: "http://events.example.com" }, "alertEndpoint", /an email address or an https:\/\/ URL/],
    ["no release", { release: undefined }, "release", /release": is required/],
    ["the old appArtifact key", { appArtifact: "s3://artifacts/app.tgz" }, "appArtifact", /unknown key; allowed: .*release/],
    ["a release without its sha256", { release: { ...RELEASE, sha256: "abc" } }, "release", /"abc" at release.sha256 is not allowed; allowed: .*64 hex digits/],
    ["a release whose archive is another version", { release: { ...RELEASE, version: "1.3.0" } }, "release", /at release.artifact is not allowed; allowed: .*scale-app-<version>.tar.gz/],
    ["a release with an unknown field", { release: { ...RELEASE, url: "x" } }, "release", /release/],
    ["a Standard-IA transition before 30 days", { archiveAfterDays: 7 }, "archiveAfterDays", /7 is not allowed; allowed: an integer from 30/],
    ["a warehouse in 2 AZs", { stage: "5", cacheAuthToken: "0123456789abcdef", warehouse: true }, "warehouse", /true with azCount 2 is not allowed; allowed: .*three AZs/],
  ];
  for (const [what, raw, key, message] of CASES) {
    it(`refuses ${what}, naming ${key} and the allowed values`, () => {
      const error = errorOf(raw);
      expect(error.key).to.equal(key);
      expect(error.message).to.match(message);
    });
  }

  it("never prints a cache token it refuses", () => {
    expect(errorOf({ stage: "3", cacheAuthToken: "short" }).message).not.to.include("short");
  });

  it("refuses a config file that is missing or has no config map", async () => {
    const dir = await mkdtemp(join(tmpdir(), "stacks-config-"));
    await writeFile(join(dir, "Pulumi.bad.yaml"), "encryptionsalt: x\n");
    await planStage(0, { configFile: join(dir, "Pulumi.bad.yaml") }).then(() => expect.fail("accepted"), (e: Error) => expect(e.message).to.match(/has no config: map/));
    await planStage(0, { configFile: join(dir, "nope.yaml") }).then(() => expect.fail("accepted"), (e: Error) => expect(e.message).to.match(/cannot read .*nope.yaml/));
  });
});
