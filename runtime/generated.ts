/**
 * Secrets a server makes for itself: made once, kept in a file (mode 0400) and read back on every later boot, so the
 * stage-0 box's database password survives reboots and new releases. The local stages keep theirs the same way.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The secret `name` in `dir`, made (32 random bytes, base64url: no character needs quoting anywhere) if absent. */
export async function generatedSecret(dir: string, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(name)) throw new Error(`a generated secret's name must be a plain file name, got ${JSON.stringify(name)}`);
  const path = join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    // "wx": two boots racing never end with two different passwords.
    await writeFile(path, randomBytes(32).toString("base64url"), { mode: 0o400, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const value = (await readFile(path, "utf8")).trim();
  if (value === "") throw new Error(`the generated secret ${path} is empty: remove it to make a new one`);
  return value;
}
