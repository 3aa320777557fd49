/** The embedded default's object store: a folder, each key a file; writes land under a temporary name, then rename. */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { BlobStore } from "./ports.ts";

const TYPE_SUFFIX = ".content-type";

export function createFolderBlobStore(root: string): BlobStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const p = resolve(base, key);
    if (!p.startsWith(base + sep) || key.endsWith(TYPE_SUFFIX)) throw new Error(`invalid object key ${key}`);
    return p;
  };
  async function place(key: string, write: (tmp: string) => Promise<void>, contentType: string) {
    const file = pathOf(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
    try {
      await write(tmp);
      await writeFile(`${file}${TYPE_SUFFIX}`, contentType);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";
  return Object.freeze({
    async putStream(key: string, body: Readable, opts: { contentType: string }) {
      await place(key, (tmp) => pipeline(body, createWriteStream(tmp)), opts.contentType);
    },
    async put(key: string, body: Buffer, opts: { contentType: string }) {
      await place(key, (tmp) => writeFile(tmp, body), opts.contentType);
    },
    async get(key: string) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async open(key: string) {
      const file = pathOf(key);
      try {
        const [info, contentType] = await Promise.all([stat(file), readFile(`${file}${TYPE_SUFFIX}`, "utf8").catch(() => "application/octet-stream")]);
        return { body: createReadStream(file), contentType, contentLength: info.size };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async delete(key: string) {
      const file = pathOf(key);
      await rm(file, { force: true });
      await rm(`${file}${TYPE_SUFFIX}`, { force: true });
    },
  });
}
