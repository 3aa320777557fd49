import { expect } from "chai";
import { style, table, useColor } from "../../../cli/lib/style.ts";

describe("colour and tables on a terminal only", () => {
  it("colour only on a TTY and without NO_COLOR", () => {
    expect(useColor({ isTTY: true }, false)).to.equal(true);
    expect(useColor({ isTTY: false }, false)).to.equal(false);
    expect(useColor({}, false)).to.equal(false);
    expect(useColor({ isTTY: true }, true)).to.equal(false);
  });

  it("plain style leaves text alone; a coloured one wraps it in escape codes", () => {
    expect(style(false).red("x")).to.equal("x");
    expect(style(true).red("x")).to.equal("\u001b[31mx\u001b[39m");
  });

  it("a table pads columns; the rule and bold header only in colour", () => {
    expect(table(["a", "bb"], [["xxx", "y"]], style(false))).to.deep.equal(["a    bb", "xxx  y"]);
    const coloured = table(["a", "bb"], [["xxx", "y"]], style(true));
    expect(coloured).to.have.length(3);
    expect(coloured[1]).to.include("───");
  });
});
