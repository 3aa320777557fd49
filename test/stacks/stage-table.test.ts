import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { README, stageTable, tableIn } from "../../stacks/stage-table.ts";
import { STAGES } from "../../stacks/stages.ts";

describe("README's stage table", () => {
  it("matches the ladder (regenerate with `npm run readme:stages`)", async () => {
    const table = tableIn(await readFile(README, "utf8"));
    expect(table, "README.md lacks the <!-- stages:begin --> / <!-- stages:end --> markers").to.be.a("string");
    expect(table).to.equal(stageTable());
  });

  it("would notice a stage that changed", () => {
    const edited = stageTable().replace(STAGES[3]!.summary, "something else");
    expect(edited).not.to.equal(stageTable());
    expect(tableIn(`x\n<!-- stages:begin -->\n${edited}\n<!-- stages:end -->\n`)).not.to.equal(stageTable());
    expect(tableIn("no markers")).to.equal(undefined);
  });
});
