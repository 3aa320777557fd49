/**
 * `--release FILE|VERSION`: the archive to roll out, with its version (from the name `scale release build` gives it)
 * and its sha256 (computed here, never taken on trust), and unpacking it for a local stage.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { DeployError, type ReleaseArchive } from "./report.ts";

/** `scale-app-<version>.tar.gz`, the version as stacks/config.ts allows it. */
const ARCHIVE_NAME = /^scale-app-([0-9A-Za-z][0-9A-Za-z.+_-]{0,63})\.tar\.gz$/;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The archive `spec` names: a file path, or a version found in `releasesDir` (where `scale release build` puts
 * archives). Throws DeployError(exit 2) naming what is wrong and what to do.
 */
export async function resolveReleaseArchive(spec: string, releasesDir: string): Promise<ReleaseArchive> {
  const looksLikeFile = spec.endsWith(".tar.gz") || spec.includes("/");
  const file = looksLikeFile ? resolve(spec) : join(resolve(releasesDir), `scale-app-${spec}.tar.gz`);
  if (!existsSync(file)) {
    throw new DeployError(
      looksLikeFile
        ? `--release ${spec}: no such file; give the archive \`scale release build\` wrote, or its version`
        : `--release ${spec}: no archive ${file}; run \`scale release build --out ${releasesDir}\` first, or give the archive's path`,
      2,
    );
  }
  const match = ARCHIVE_NAME.exec(basename(file));
  if (!match) throw new DeployError(`--release ${spec}: the archive must be named scale-app-<version>.tar.gz, as \`scale release build\` names it`, 2);
  return { version: match[1]!, file, sha256: await sha256File(file), bytes: statSync(file).size };
}
