import { expect } from "chai";
import { execa } from "execa";

// `scale stage plan --help` and a static import of the ladder must not pay for loading Pulumi (~1-2 s, ~150 MB).
describe("scale stage commands load Pulumi lazily", () => {
  it("imports the commands and the ladder without loading @pulumi/*", async () => {
    const code = [
      'import { createRequire } from "node:module";',
      'await import("./cli/commands/stage/plan.ts");',
      'await import("./cli/commands/stage/list.ts");',
      'await import("./cli/commands/stage/diff.ts");',
      'await import("./stacks/stages.ts");',
      'await import("./stacks/transition-guard.ts");',
      'const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("@pulumi"));',
      "console.log(JSON.stringify(loaded));",
    ].join("\n");
    const { stdout } = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code]);
    expect(JSON.parse(stdout)).to.deep.equal([]);
  });

  it("would see @pulumi/* once it is loaded", async () => {
    const code = 'import { createRequire } from "node:module"; await import("@pulumi/pulumi"); console.log(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("@pulumi")).length);';
    const { stdout } = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code]);
    expect(Number(stdout)).to.be.greaterThan(0);
  });
});
