/**
 * What a release runs, found from its entry points: each TypeScript module they reach is transpiled to JavaScript
 * (no type check here: `npm run lint` does that; no TypeScript at start), and each package they import is collected
 * with what it depends on, as the lock file resolves it. Only those packages ship: not the CLI's, not Pulumi's.
 */
import { access, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative, sep } from "node:path";

/** The compiled modules (path under the source root with `.js` -> text) and the source files they came from. */
export interface Compiled {
  modules: Map<string, string>;
  sources: string[];
  /** Bare package names the modules import (not node builtins). */
  packages: string[];
}

const exists = (path: string) => access(path).then(() => true, () => false);
const builtins = new Set(builtinModules);

/** `@scope/name/sub` -> `@scope/name`; `hono/cookie` -> `hono`. */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Transpiles every module `entries` (paths relative to `root`) reach. Throws naming an import it cannot find. */
export async function compileClosure(root: string, entries: string[]): Promise<Compiled> {
  const ts = (await import("typescript")).default;
  const options = {
    module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true,
    // `./x.ts` in the sources becomes `./x.js` in the output.
    rewriteRelativeImportExtensions: true,
  };
  const modules = new Map<string, string>();
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = entries.map((e) => normalize(e));
  while (queue.length > 0) {
    const source = queue.shift()!;
    if (seen.has(source)) continue;
    seen.add(source);
    const text = await readFile(join(root, source), "utf8");
    const out = ts.transpileModule(text, { compilerOptions: options, fileName: source, reportDiagnostics: false }).outputText;
    modules.set(source.replace(/\.ts$/, ".js").split(sep).join("/"), out);
    for (const { fileName: spec } of ts.preProcessFile(out, true, true).importedFiles) {
      if (spec.startsWith(".")) {
        const target = relative(root, join(root, dirname(source), spec.replace(/\.js$/, ".ts")));
        if (target.startsWith("..")) throw new Error(`${source} imports ${spec}, outside ${root}`);
        if (!(await exists(join(root, target)))) throw new Error(`${source} imports ${spec}, and ${target} does not exist`);
        queue.push(target);
      } else if (!spec.startsWith("node:") && !builtins.has(spec)) {
        packages.add(packageName(spec));
      }
    }
  }
  return { modules, sources: [...seen].sort(), packages: [...packages].sort() };
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * The lock file's paths (`node_modules/a`, `node_modules/a/node_modules/b`) of `names` and everything they depend on,
 * resolved the way Node does (nearest `node_modules` first). Optional dependencies count when installed (sharp's
 * platform packages for this platform); a missing required one is an error naming it.
 */
export async function packageClosure(root: string, names: string[]): Promise<{ path: string; name: string; version: string }[]> {
  const lock = JSON.parse(await readFile(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const found = new Map<string, { name: string; version: string }>();
  const resolve = (name: string, from: string): string | undefined => {
    let at = from;
    for (;;) {
      const candidate = `${at ? `${at}/` : ""}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!at) return undefined;
      const i = at.lastIndexOf("/node_modules/");
      at = i < 0 ? "" : at.slice(0, i);
    }
  };
  const visit = async (name: string, from: string, optional: boolean, requiredBy: string): Promise<void> => {
    const path = resolve(name, from);
    if (!path) {
      if (optional) return;
      throw new Error(`${requiredBy} needs ${name}, which package-lock.json does not have: run npm install`);
    }
    if (found.has(path)) return;
    if (!(await exists(join(root, path, "package.json")))) {
      if (optional) return; // another platform's optional package
      throw new Error(`${path} is in package-lock.json but not installed: run npm ci`);
    }
    const entry = lock.packages[path]!;
    found.set(path, { name, version: entry.version ?? "0.0.0" });
    for (const dep of Object.keys(entry.dependencies ?? {})) await visit(dep, path, false, name);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) await visit(dep, path, true, name);
    for (const dep of Object.keys(entry.peerDependencies ?? {})) await visit(dep, path, true, name);
  };
  for (const name of names) await visit(name, "", false, "the release's code");
  return [...found].map(([path, p]) => ({ path, ...p })).sort((a, b) => (a.path < b.path ? -1 : 1));
}
