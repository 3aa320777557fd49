/**
 * Deterministic archives: the same folder gives the same bytes, whenever and by whoever it is packed. Entries are
 * listed in byte order, every mtime is the epoch, owners are root (uid/gid 0, no names), and a mode is 0755 or 0644
 * by whether the file is executable, so nothing of the build machine leaks into the sha256 the stacks pin.
 */
import { chmod, lstat, readdir, utimes } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { create, extract } from "tar";

/** The time every entry carries. */
const EPOCH = new Date(0);

/** Every entry under `dir` (folders and files, relative, `/`-separated), in byte order so parents come first. */
export async function listEntries(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      out.push(relative(dir, path).split(sep).join("/"));
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(dir);
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** Sets every entry's mode to 0755/0644 and its mtime to the epoch (folders 0755). */
async function normalise(dir: string, entries: string[]): Promise<void> {
  // Deepest first: setting a folder's mtime before its children would be undone by writing them.
  for (const entry of [...entries].reverse()) {
    const path = join(dir, entry);
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) continue;
    await chmod(path, stat.isDirectory() || (stat.mode & 0o111) !== 0 ? 0o755 : 0o644);
    await utimes(path, EPOCH, EPOCH);
  }
}

/** Packs `dir`'s contents into the gzipped tar `file`. Changes the modes and mtimes under `dir` (a staging folder). */
export async function packDeterministic(dir: string, file: string): Promise<void> {
  const entries = await listEntries(dir);
  await normalise(dir, entries);
  await create({ file, cwd: dir, gzip: { level: 6 }, portable: true, noDirRecurse: true, mtime: EPOCH, strict: true }, entries);
}

/** Unpacks the gzipped tar `file` into `dir` (which must exist); refuses entries that would land outside it. */
export async function unpack(file: string, dir: string): Promise<void> {
  // node-tar strips `..` and absolute paths by default (preservePaths: false); strict makes a bad entry an error.
  await extract({ file, cwd: dir, strict: true, preserveOwner: false });
}
