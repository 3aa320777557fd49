import { expect } from "chai";
import { mkdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create, list } from "tar";
import { listEntries, packDeterministic, unpack } from "../../release/tar.ts";
import { tempDir } from "../support/tmp.ts";

async function tree(dir: string, stamp: Date, mode: number): Promise<void> {
  await mkdir(join(dir, "b", "c"), { recursive: true });
  await writeFile(join(dir, "b", "c", "z.txt"), "z");
  await writeFile(join(dir, "a.sh"), "#!/bin/sh\n", { mode: 0o700 });
  await writeFile(join(dir, "B.txt"), "upper", { mode });
  await symlink("a.sh", join(dir, "link"));
  for (const p of ["b/c/z.txt", "a.sh", "B.txt", "b/c", "b"]) await utimes(join(dir, p), stamp, stamp);
}

describe("release/tar", () => {
  it("lists entries in byte order, parents before children", async () => {
    const dir = tempDir("scale-tar");
    await tree(dir, new Date(), 0o600);
    expect(await listEntries(dir)).to.deep.equal(["B.txt", "a.sh", "b", "b/c", "b/c/z.txt", "link"]);
  });

  it("packs the same contents to the same bytes whatever the files' times and modes", async () => {
    const [one, two] = [tempDir("scale-tar"), tempDir("scale-tar")];
    await tree(one, new Date("2020-01-01"), 0o600);
    await tree(two, new Date("2026-06-01"), 0o664);
    const out = tempDir("scale-tar-out");
    await packDeterministic(one, join(out, "one.tgz"));
    await packDeterministic(two, join(out, "two.tgz"));
    expect((await readFile(join(out, "one.tgz"))).equals(await readFile(join(out, "two.tgz")))).to.equal(true);

    const seen: { path: string; mode: number; uid: number; mtime: number }[] = [];
    await list({ file: join(out, "one.tgz"), onReadEntry: (e) => void seen.push({ path: e.path, mode: e.mode ?? -1, uid: e.uid ?? 0, mtime: e.mtime?.getTime() ?? 0 }) });
    expect(seen.map((e) => e.path)).to.deep.equal(["B.txt", "a.sh", "b/", "b/c/", "b/c/z.txt", "link"]);
    expect(seen.find((e) => e.path === "a.sh")!.mode & 0o777).to.equal(0o755);
    expect(seen.find((e) => e.path === "B.txt")!.mode & 0o777).to.equal(0o644);
    expect(seen.every((e) => e.uid === 0 && e.mtime === 0)).to.equal(true);
  });

  it("refuses an archive entry that climbs out of the folder it unpacks into", async () => {
    const outer = tempDir("scale-tar");
    const src = join(outer, "src");
    await mkdir(src);
    await writeFile(join(src, "ok.txt"), "ok");
    await writeFile(join(outer, "escaped.txt"), "out");
    const file = join(outer, "evil.tgz");
    // preservePaths lets the archive name ../escaped.txt, as a hostile archive would.
    await create({ file, cwd: src, gzip: true, preservePaths: true }, ["ok.txt", "../escaped.txt"]);
    const names: string[] = [];
    await list({ file, onReadEntry: (e) => void names.push(e.path) });
    expect(names).to.include("../escaped.txt");
    const dest = join(tempDir("scale-tar-dest"), "in");
    await mkdir(dest);
    const error = await unpack(file, dest).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/\.\./);
    await stat(join(dest, "..", "escaped.txt")).then(() => expect.fail("an entry escaped the folder"), () => undefined);
  });
});
