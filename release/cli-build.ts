/**
 * `npm run build`: the CLI compiled to JavaScript in `dist/` with an oclif manifest, so `bin/scale` starts without
 * tsx compiling TypeScript and without oclif loading every command to list them. `bin/scale` uses `dist/` only while
 * it is not older than the sources it was built from (`dist/sources.json`); otherwise it falls back to tsx.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { compileClosure } from "./compile.ts";

/** Files read beside the code (relative to their module) that the compiled CLI needs too. */
const ASSETS = ["cli/data"];

async function commandFiles(root: string, dir = "cli/commands"): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await commandFiles(root, path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Compiles the CLI of `root` into `root/dist` and writes its oclif manifest; returns the number of modules. */
export async function buildCli(root: string): Promise<number> {
  const dist = join(root, "dist");
  await rm(dist, { recursive: true, force: true });
  const commands = await commandFiles(root);
  const compiled = await compileClosure(root, commands);
  for (const [path, text] of compiled.modules) {
    await mkdir(dirname(join(dist, path)), { recursive: true });
    await writeFile(join(dist, path), text);
  }
  for (const asset of ASSETS) await cp(join(root, asset), join(dist, asset), { recursive: true });
  await cp(join(root, "package.json"), join(dist, "package.json"));
  // The freshness check's inputs: every compiled source, the folders commands live in (a new command), package.json.
  const dirs = [...new Set(commands.map((c) => dirname(c)))];
  await writeFile(join(dist, "sources.json"), JSON.stringify({ files: [...compiled.sources, ...ASSETS, "package.json"], dirs }));
  const { Plugin } = await import("@oclif/core");
  const plugin = new Plugin({ root: dist, type: "core", ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  await writeFile(join(dist, "oclif.manifest.json"), JSON.stringify(plugin.manifest));
  return compiled.modules.size;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const root = resolve(new URL("..", import.meta.url).pathname);
  const count = await buildCli(root);
  const manifest = JSON.parse(await readFile(join(root, "dist", "oclif.manifest.json"), "utf8")) as { commands: object };
  console.log(`dist/: ${count} modules, ${Object.keys(manifest.commands).length} commands in oclif.manifest.json`);
}
