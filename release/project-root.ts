/**
 * The checkout a module runs from, whether it runs as TypeScript from the sources or compiled into `dist/` (the CLI
 * `npm run build` makes): the nearest folder up from the module that holds the lock file.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function projectRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(dir, "package-lock.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package-lock.json above ${fileURLToPath(moduleUrl)}: not run from a checkout`);
    dir = up;
  }
}
