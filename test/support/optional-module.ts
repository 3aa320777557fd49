/**
 * Whether a module of another part of the repository is present. Tests of the CLI's glue to the
 * stacks and the app skip (and say so) until those parts are merged, instead of passing blind.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function repoFileExists(relativeToRoot: string): boolean {
  return existsSync(fileURLToPath(new URL(`../../${relativeToRoot}`, import.meta.url)));
}
