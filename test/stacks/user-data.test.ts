import { expect } from "chai";
import { bootUserData, readBootArgs, type BootArgs } from "../../stacks/user-data.ts";

const args: BootArgs = {
  release: { version: "1.2.3", bucket: "releases-bucket", key: "releases/abc/scale-app-1.2.3.tar.gz", sha256: "b".repeat(64) },
  region: "eu-west-1",
  runtime: { tier: "write", env: { PORT: "8080", DATABASE_PASSWORD_FILE: { from: "file", name: "db-password", content: { from: "secret", urn: "urn:x", arn: "arn:aws:secretsmanager:x" } } } },
};

describe("stacks/user-data: reading the boot script back", () => {
  it("gives back what bootUserData was given, so a deploy rewrites it for another release", () => {
    expect(readBootArgs(bootUserData(args))).to.deep.equal(args);
  });

  it("refuses a script it did not write, and the box's (which mounts a data volume)", () => {
    expect(() => readBootArgs("#!/bin/bash\necho hi\n")).to.throw(/not what bootUserData writes/);
    const box = bootUserData({ ...args, dataVolume: { volumeId: "vol-0abc", mount: "/data", runsDatabase: true } });
    expect(() => readBootArgs(box)).to.throw(/data volume/);
  });
});
