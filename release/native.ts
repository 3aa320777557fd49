/**
 * Native addons under the shipped Node. `sharp` loads a Node-API prebuilt (`@img/sharp-linux-x64`) that works on any
 * Node; `better-sqlite3` is built against one Node's ABI, so the copy npm built for the development Node would not
 * load under the release's. It is rebuilt here with node-gyp against the shipped runtime's own headers
 * (`include/node` of the registry package: no download), once per (addon version, Node version), in the cache.
 */
import { execFile } from "node:child_process";
import { access, copyFile, cp, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { NodeRuntime } from "./node-runtime.ts";

const run = promisify(execFile);
const exists = (path: string) => access(path).then(() => true, () => false);

/** An addon built with node-gyp: the package, and the file it loads from `build/Release`. */
export interface GypAddon {
  name: string;
  version: string;
  /** The package's folder in the checkout's node_modules (its sources: binding.gyp, src/, deps/). */
  dir: string;
  binary: string;
}

/** The addons a release rebuilds (the app's embedded default needs better-sqlite3). */
export const GYP_ADDONS: readonly string[] = Object.freeze(["better-sqlite3"]);

/**
 * The addon built for `node` (cached in `cacheDir/native/<name>-<version>-node-<node version>/`): returns the path of
 * the `.node` file. Building needs make and a C++ compiler; the error says so when they are missing.
 */
export async function buildAddon(addon: GypAddon, node: NodeRuntime, cacheDir: string): Promise<string> {
  const key = `${addon.name.replace("/", "+")}-${addon.version}-node-${node.version}`;
  const cached = join(cacheDir, "native", key, addon.binary);
  if (await exists(cached)) return cached;
  await mkdir(join(cacheDir, "native"), { recursive: true });
  const work = await mkdtemp(join(cacheDir, "native", `${key}-build-`));
  try {
    const src = join(work, "src");
    await cp(addon.dir, src, { recursive: true, filter: (from) => !from.startsWith(join(addon.dir, "build")) && !from.startsWith(join(addon.dir, "node_modules")) });
    const gyp = join(dirname(createRequire(import.meta.url).resolve("node-gyp/package.json")), "bin", "node-gyp.js");
    try {
      await run(node.binary, [gyp, "rebuild", "--release", `--nodedir=${node.dir}`, "--jobs=2"], {
        cwd: src, maxBuffer: 64 * 1024 * 1024,
        // node-gyp runs `node` for its helpers: the shipped one, whose headers these are. Under `npm run`/`npm test`
        // npm exports its config (Debian's says nodedir=/usr, the system Node's headers), which node-gyp would obey.
        env: { ...withoutNpmConfig(process.env), PATH: `${dirname(node.binary)}:${process.env.PATH ?? ""}` },
      });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim().split("\n").slice(-8).join("\n");
      throw new Error(`node-gyp could not build ${addon.name}@${addon.version} for Node ${node.version} (it needs make, g++ and python3):\n${stderr}`, { cause: error });
    }
    await mustLoad(node, join(src, "build", "Release", addon.binary));
    const out = join(work, "out", addon.binary);
    await mkdir(dirname(out), { recursive: true });
    await copyFile(join(src, "build", "Release", addon.binary), out);
    await rename(join(work, "out"), join(cacheDir, "native", key)).catch(async (error: unknown) => {
      if (!(await exists(cached))) throw error;
    });
    return cached;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function withoutNpmConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^npm_config_/i.test(name)));
}

/** A build made against the wrong headers only fails when the server loads it: load it under the shipped Node now. */
async function mustLoad(node: NodeRuntime, binary: string): Promise<void> {
  try {
    await run(node.binary, ["-e", "process.dlopen({ exports: {} }, process.argv[1])", binary]);
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim().split("\n").slice(0, 4).join("\n");
    throw new Error(`the rebuilt ${binary} does not load under Node ${node.version}:\n${stderr}`, { cause: error });
  }
}
