import { expect } from "chai";
import { PassThrough } from "node:stream";
import { confirm } from "../../../cli/lib/confirm.ts";

function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d) => (shown += d));
  return { input, output, shown: () => shown };
}

describe("confirm", () => {
  it("shows the details, then asks; y is yes", async () => {
    const s = streams();
    const answer = confirm("Run it?", { yes: false, interactive: true, input: s.input, output: s.output, details: ["  target: stack prod", "  parameters: a=1"] });
    s.input.write("y\n");
    expect(await answer).to.equal("yes");
    expect(s.shown()).to.include("target: stack prod").and.include("parameters: a=1").and.include("Run it? [y/N]");
  });

  it("Ctrl-C at the question is 'cancelled', not an AbortError", async () => {
    const s = streams();
    const answer = confirm("Run it?", { yes: false, interactive: true, input: s.input, output: s.output });
    s.input.write("\x03");
    expect(await answer).to.equal("cancelled");
  });

  it("a closed input (Ctrl-D) is 'cancelled'", async () => {
    const s = streams();
    const answer = confirm("Run it?", { yes: false, interactive: true, input: s.input, output: s.output });
    s.input.end();
    expect(await answer).to.equal("cancelled");
  });

  it("no terminal is 'no-tty'; --yes is yes without asking", async () => {
    expect(await confirm("Run it?", { yes: false, interactive: false })).to.equal("no-tty");
    expect(await confirm("Run it?", { yes: true, interactive: false })).to.equal("yes");
  });
});
