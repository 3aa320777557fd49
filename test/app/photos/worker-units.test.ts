import { expect } from "chai";
import { makeThumbnail, PoisonImage } from "../../../app/worker/thumbnail.ts";
import { createMemoryJobQueue } from "../../../app/photos/memory-job-queue.ts";
import { openUpload } from "../../../app/photos/upload-stream.ts";
import { AppError } from "../../../app/http/problem.ts";
import { image, pngClaiming, corruptPng } from "../../support/images.ts";

const streamOf = (chunks: Buffer[]) => new ReadableStream<Uint8Array>({
  start(c) {
    for (const chunk of chunks) c.enqueue(new Uint8Array(chunk));
    c.close();
  },
});

describe("photos: thumbnails with sharp", () => {
  it("a 50,000 x 50,000 PNG header is poison from its header alone (limitInputPixels), nothing decoded", async () => {
    const err = await makeThumbnail(pngClaiming(50_000, 50_000), "image/png", 50_000_000).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PoisonImage);
    expect(String(err)).to.match(/pixel limit|over 50000000 pixels/i);
  });

  it("a corrupt PNG and a PNG labelled JPEG are poison, with a reason", async () => {
    expect(await makeThumbnail(await corruptPng(), "image/png", 1e8).catch((e: Error) => e.message)).to.match(/do not decode as image\/png/);
    expect(await makeThumbnail(await image("png", 20, 20), "image/jpeg", 1e8).catch((e: Error) => e.message)).to.match(/the bytes are png, not image\/jpeg/);
  });
});

describe("photos: the in-process job queue keeps SQS's rules", () => {
  it("hides a delivery until its visibility ends, counts deliveries, and dead-letters after the last", async () => {
    const q = createMemoryJobQueue({ visibilitySeconds: 0.05, maxReceives: 2 });
    await q.send([{ photoId: "p", sha256: "s" }]);
    const [first] = await q.receive({ max: 1, waitSeconds: 0 });
    expect(first!.receiveCount).to.equal(1);
    expect(await q.receive({ max: 1, waitSeconds: 0 })).to.deep.equal([]);
    const [second] = await q.receive({ max: 1, waitSeconds: 1 });
    expect(second!.receiveCount).to.equal(2);
    await q.delete(first!.handle); // a stale handle deletes nothing
    await q.release(second!.handle, 0);
    expect(await q.receive({ max: 1, waitSeconds: 0 })).to.deep.equal([]);
    expect(q.deadLetters()).to.deep.equal([{ photoId: "p", sha256: "s" }]);
  });

  it("extend keeps a delivery hidden; a long poll wakes on send and ends on abort", async () => {
    const q = createMemoryJobQueue({ visibilitySeconds: 0.05 });
    const waiting = q.receive({ max: 1, waitSeconds: 5 });
    await q.send([{ photoId: "a", sha256: "s" }]);
    const [got] = await waiting;
    await q.extend(got!.handle, 10);
    await new Promise((r) => setTimeout(r, 100));
    expect(await q.receive({ max: 1, waitSeconds: 0 })).to.deep.equal([]);
    const abort = new AbortController();
    const polled = q.receive({ max: 1, waitSeconds: 30, signal: abort.signal });
    abort.abort();
    expect(await polled).to.deep.equal([]);
  });
});

describe("photos: the upload stream", () => {
  it("holds back the head, then passes every byte on and hashes them", async () => {
    const parts = [Buffer.alloc(40_000, 1), Buffer.alloc(40_000, 2), Buffer.alloc(40_000, 3)];
    const u = await openUpload(streamOf(parts), { headBytes: 64 * 1024, maxBytes: 1e6, expectedBytes: 120_000 });
    expect(u.head.length).to.equal(64 * 1024);
    const out: Buffer[] = [];
    for await (const c of u.body) out.push(c as Buffer);
    expect(Buffer.concat(out).equals(Buffer.concat(parts))).to.equal(true);
    expect(u.digest().bytes).to.equal(120_000);
  });

  it("fails with 413 past maxBytes and 400 when the body is shorter than Content-Length", async () => {
    const big = await openUpload(streamOf([Buffer.alloc(600), Buffer.alloc(600)]), { headBytes: 100, maxBytes: 1000, expectedBytes: 1000 });
    const err = await (async () => {
      for await (const _ of big.body) void _;
    })().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError).and.have.property("status", 413);
    const short = await openUpload(streamOf([Buffer.alloc(10)]), { headBytes: 100, maxBytes: 1000, expectedBytes: 50 });
    const err2 = await (async () => {
      for await (const _ of short.body) void _;
    })().catch((e: unknown) => e);
    expect(err2).to.be.instanceOf(AppError).and.have.property("status", 400);
  });
});
