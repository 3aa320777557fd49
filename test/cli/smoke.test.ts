import { expect } from "chai";
import { runCommand } from "@oclif/test";

describe("scale CLI", () => {
  it("refuses an unknown flag with exit 2", async () => {
    const { error } = await runCommand(["stage", "list", "--bogus"]);
    expect(error?.oclif?.exit).to.equal(2);
    expect(error?.message).to.match(/Nonexistent flag: --bogus/);
  });
});
