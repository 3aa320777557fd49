/**
 * An upload body as it streams: the first bytes are held back until the header can be checked, then everything flows
 * on to the object store in small chunks while it is counted and hashed. Memory per upload stays at the header plus a
 * chunk or two, whatever the body's size.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { AppError } from "../http/problem.ts";

export interface UploadStream {
  /** The first bytes (up to `headBytes`, fewer if the body is shorter). */
  head: Buffer;
  /** The whole body (head included), for the object store; throws a 413 past `maxBytes`. */
  body: Readable;
  /** After `body` ended: its size and sha256. */
  digest(): { bytes: number; sha256: string };
  /** Stop reading the client's body (a refused upload). */
  cancel(): void;
}

export async function openUpload(source: ReadableStream<Uint8Array>, opts: { headBytes: number; maxBytes: number; expectedBytes: number }): Promise<UploadStream> {
  const reader = source.getReader();
  const chunks: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < opts.headBytes) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    headLength += value.byteLength;
  }
  const hash = createHash("sha256");
  let bytes = 0;
  let sha256: string | undefined;
  const count = (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > opts.maxBytes) throw new AppError(413, "photo-too-large", `the photo is over ${opts.maxBytes} bytes`);
    hash.update(chunk);
    return chunk;
  };
  async function* all() {
    for (const chunk of chunks) yield count(chunk);
    chunks.length = 0; // the head is in `head` now; let the chunks go
    while (!ended) {
      const { done, value } = await reader.read();
      if (done) break;
      yield count(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    if (bytes !== opts.expectedBytes) throw new AppError(400, "body-incomplete", `the body had ${bytes} bytes, Content-Length said ${opts.expectedBytes}`);
    sha256 = hash.digest("hex");
  }
  const head = Buffer.concat(chunks).subarray(0, opts.headBytes);
  const body = Readable.from(all(), { objectMode: false });
  return {
    head,
    body,
    digest() {
      if (sha256 === undefined) throw new Error("the upload body has not been read to its end");
      return { bytes, sha256 };
    },
    cancel() {
      void reader.cancel().catch(() => undefined);
    },
  };
}
