import { expect } from "chai";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { compileClosure, packageClosure, packageName } from "../../release/compile.ts";
import { tempDir } from "../support/tmp.ts";

async function files(root: string, contents: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(contents)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe("release/compile", () => {
  it("names the package of a specifier", () => {
    expect(packageName("hono/cookie")).to.equal("hono");
    expect(packageName("@aws-sdk/client-s3")).to.equal("@aws-sdk/client-s3");
    expect(packageName("@hono/node-server/conninfo")).to.equal("@hono/node-server");
  });

  it("transpiles what the entries reach, with .js imports, and collects the packages they load at run time", async () => {
    const root = tempDir("scale-compile");
    await files(root, {
      "app/main.ts": 'import type { Kysely } from "kysely";\nimport { a } from "./lib/a.ts";\nimport { readFile } from "node:fs";\nconst k: Kysely<never> | undefined = undefined;\nconsole.log(a, k, readFile);\nawait import("@aws-sdk/client-s3");\n',
      "app/lib/a.ts": 'export { b as a } from "../../runtime/b.ts";\nimport "hono/cookie";\n',
      "runtime/b.ts": "export const b: number = 1;\n",
      "app/unused.ts": 'import "left-out";\n',
    });
    const out = await compileClosure(root, ["app/main.ts"]);
    expect(out.sources).to.deep.equal(["app/lib/a.ts", "app/main.ts", "runtime/b.ts"]);
    expect([...out.modules.keys()].sort()).to.deep.equal(["app/lib/a.js", "app/main.js", "runtime/b.js"]);
    expect(out.modules.get("app/main.js")).to.contain('from "./lib/a.js"').and.not.contain("kysely");
    expect(out.modules.get("runtime/b.js")).to.contain("export const b = 1");
    // A type-only import costs nothing at run time, so it ships nothing.
    expect(out.packages).to.deep.equal(["@aws-sdk/client-s3", "hono"]);
  });

  it("fails naming an import whose file does not exist, and one that leaves the checkout", async () => {
    const root = tempDir("scale-compile");
    await files(root, { "app/main.ts": 'import "./gone.ts";\n', "app/out.ts": 'import "../../elsewhere.ts";\n' });
    expect(await compileClosure(root, ["app/main.ts"]).catch((e: Error) => e.message)).to.match(/app\/main\.ts imports \.\/gone\.js, and app\/gone\.ts does not exist/);
    expect(await compileClosure(root, ["app/out.ts"]).catch((e: Error) => e.message)).to.match(/imports \.\.\/\.\.\/elsewhere\.js, outside/);
  });

  it("collects a package's dependencies as Node resolves them, optional ones only when installed", async () => {
    const root = tempDir("scale-lock");
    const lock = {
      packages: {
        "": { dependencies: { a: "1" } },
        "node_modules/a": { version: "1.0.0", dependencies: { b: "2", c: "1" }, optionalDependencies: { "a-linux": "1", "a-darwin": "1" } },
        "node_modules/a/node_modules/b": { version: "2.0.0" },
        "node_modules/b": { version: "1.0.0" },
        "node_modules/c": { version: "1.0.0", dependencies: { b: "1" } },
        "node_modules/a-linux": { version: "1.0.0", optional: true },
        "node_modules/a-darwin": { version: "1.0.0", optional: true },
        "node_modules/dev-only": { version: "1.0.0", dev: true },
      },
    };
    await files(root, { "package-lock.json": JSON.stringify(lock) });
    for (const p of ["a", "a/node_modules/b", "b", "c", "a-linux", "dev-only"]) await files(root, { [`node_modules/${p}/package.json`]: "{}" });
    const got = await packageClosure(root, ["a"]);
    expect(got.map((p) => p.path)).to.deep.equal(["node_modules/a", "node_modules/a-linux", "node_modules/a/node_modules/b", "node_modules/b", "node_modules/c"]);
    expect(await packageClosure(root, ["missing"]).catch((e: Error) => e.message)).to.match(/needs missing, which package-lock.json does not have/);
  });

  it("fails naming a locked package that is not installed", async () => {
    const root = tempDir("scale-lock");
    await files(root, { "package-lock.json": JSON.stringify({ packages: { "node_modules/a": { version: "1.0.0" } } }) });
    expect(await packageClosure(root, ["a"]).catch((e: Error) => e.message)).to.match(/node_modules\/a is in package-lock.json but not installed: run npm ci/);
  });
});
