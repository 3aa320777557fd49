/**
 * Turns a tier's runtime into a plain environment. Where values come from is a backend's business: on AWS the boot
 * program passes `awsBackend` (Secrets Manager); the local stages pass their own (secrets from files in DIR/secrets,
 * outputs from their stand-ins). Secrets delivered as files come back as files to write, never in the environment.
 *
 *   const runtime = parseTierRuntime(await readFile(SERVER_PATHS.runtime, "utf8"));
 *   const resolved = await resolveEnv(runtime.env, awsBackend({ region }), { secretsDir: SERVER_PATHS.secretsDir });
 *   await writeResolved(resolved, { envFile: SERVER_PATHS.envFile, owner: { uid, gid } });
 */
import { chown, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { GeneratedValue, OutputValue, RuntimeValue, SecretValue } from "./sources.ts";

/** Where each kind of value comes from. Every method throws an Error naming what it could not find (never a value). */
export interface RuntimeBackend {
  /** A resource attribute by URN: only the plan form has these (the local stages map the URN's type to a stand-in). */
  output(value: OutputValue): Promise<string>;
  /** A secret's value, or one field of a JSON secret. */
  secret(value: SecretValue): Promise<string>;
  /** A secret the server keeps for itself, made the first time it is asked for. */
  generated(value: GeneratedValue): Promise<string>;
}

/** A secret file to write (mode 0400) before the service starts. */
export interface SecretFile {
  path: string;
  content: string;
}

/** A resolved environment and the secret files its `*_FILE` settings point at. */
export interface ResolvedEnv {
  env: Record<string, string>;
  files: SecretFile[];
}

/**
 * Resolves every value of `env` through `backend`. A `file` value becomes the path `<secretsDir>/<name>`, with the
 * file's content among `files`. Rejects with an Error naming the setting whose value could not be resolved.
 */
export async function resolveEnv(env: Record<string, RuntimeValue>, backend: RuntimeBackend, opts: { secretsDir: string }): Promise<ResolvedEnv> {
  const files = new Map<string, string>();
  const resolve = async (value: RuntimeValue): Promise<string> => {
    if (typeof value === "string") return value;
    switch (value.from) {
      case "output": return backend.output(value);
      case "secret": return backend.secret(value);
      case "generated": return backend.generated(value);
      case "template": return fillTemplate(value.template, value.parts, resolve);
      case "file": {
        const path = join(opts.secretsDir, value.name);
        const content = await resolve(value.content);
        if (files.has(path) && files.get(path) !== content) throw new Error(`two settings write different contents to ${path}`);
        files.set(path, content);
        return path;
      }
    }
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    try {
      out[name] = await resolve(value);
    } catch (error) {
      throw new Error(`cannot resolve ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return { env: out, files: [...files].map(([path, content]) => ({ path, content })) };
}

async function fillTemplate(template: string, parts: Record<string, RuntimeValue>, resolve: (v: RuntimeValue) => Promise<string>): Promise<string> {
  const names = [...template.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
  const unused = Object.keys(parts).filter((p) => !names.includes(p));
  if (unused.length > 0) throw new Error(`the template ${template} has no place for ${unused.join(", ")}`);
  const values: Record<string, string> = {};
  for (const name of new Set(names)) {
    const part = parts[name];
    if (part === undefined) throw new Error(`the template ${template} has no part ${name}`);
    values[name] = encodeURIComponent(await resolve(part));
  }
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => values[name]!);
}

/**
 * The environment as a systemd `EnvironmentFile`: one `NAME="value"` per line, `"` and `\` escaped. systemd does no
 * `$` expansion there. A value with a line break cannot be written this way: throws naming the setting.
 */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env).map(([name, value]) => {
    if (/[\r\n]/.test(value)) throw new Error(`${name} holds a line break: it cannot go into an environment file`);
    return `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`;
  }).join("");
}

/**
 * Writes the secret files (0400) and then the environment file (0600), each to a temporary name renamed into place,
 * so a service re-reading a file never sees half of one. `owner` (root only) hands them to the service's user.
 */
export async function writeResolved(resolved: ResolvedEnv, opts: { envFile: string; owner?: { uid: number; gid: number } }): Promise<void> {
  const put = async (path: string, text: string, mode: number) => {
    // Traverse-only folders: the service's user reaches its files by name and lists nothing.
    await mkdir(dirname(path), { recursive: true, mode: 0o711 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode });
    if (opts.owner) await chown(tmp, opts.owner.uid, opts.owner.gid);
    await rename(tmp, path);
  };
  for (const file of resolved.files) await put(file.path, file.content, 0o400);
  await put(opts.envFile, envFileText(resolved.env), 0o600);
}
