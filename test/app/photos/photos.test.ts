import { expect } from "chai";
import sharp from "sharp";
import { startApp, newUser, expectProblem, json, type Harness } from "../support.ts";
import { image, pngClaiming, corruptPng } from "../../support/images.ts";
import { upload, settled } from "./support.ts";

describe("photos on the embedded default (in-process queue and worker, a folder for blobs)", function () {
  this.timeout(120_000);
  let h: Harness;
  let auth: Record<string, string>;
  before(async () => {
    h = await startApp("embedded", { env: { WORKER_RETRY_DELAY_SECONDS: "0", PHOTO_UPLOADS_PER_MINUTE: "1000" } });
    auth = (await newUser(h.app)).auth;
  });
  after(() => h?.close());

  it("an uploaded PNG is accepted with 202 and gets a thumbnail whose longest side is 256 px", async () => {
    const res = await upload(h.app, auth, await image("png", 640, 480));
    expect(res.status, await res.clone().text()).to.equal(202);
    const accepted = (await res.json()) as { id: string; status: string; ownerId: string; createdAt: string };
    expect(accepted.status).to.equal("pending");
    expect(Object.keys(accepted).sort()).to.deep.equal(["createdAt", "id", "ownerId", "status"]);
    const photo = await settled(h.app, accepted.id);
    expect(photo.status, photo.error).to.equal("ready");
    expect([photo.width, photo.height]).to.deep.equal([640, 480]);
    expect(photo.thumbnail).to.deep.include({ width: 256, height: 192 });
    const thumb = await h.app.request(photo.thumbnail!.url);
    expect(thumb.status).to.equal(200);
    expect(thumb.headers.get("content-type")).to.equal("image/webp");
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(["webp", 256, 192]);
  });

  it("JPEG and WebP are accepted; a small image is not enlarged", async () => {
    for (const format of ["jpeg", "webp"] as const) {
      const res = await upload(h.app, auth, await image(format, 100, 300), `image/${format}`);
      expect(res.status).to.equal(202);
      const photo = await settled(h.app, ((await res.json()) as { id: string }).id);
      expect(photo.thumbnail, format).to.deep.include({ width: 85, height: 256 });
    }
    const small = await upload(h.app, auth, await image("png", 40, 30));
    const photo = await settled(h.app, ((await small.json()) as { id: string }).id);
    expect(photo.thumbnail).to.deep.include({ width: 40, height: 30 });
  });

  it("another or a missing Content-Type is a 415, and so is a PNG labelled JPEG", async () => {
    const png = await image("png", 32, 32);
    await expectProblem(await upload(h.app, auth, png, null), 415);
    await expectProblem(await upload(h.app, auth, png, "image/gif"), 415);
    const mislabelled = await expectProblem(await upload(h.app, auth, png, "image/jpeg"), 415);
    expect(mislabelled.detail).to.match(/the bytes are a PNG, not image\/jpeg/);
    const text = await expectProblem(await upload(h.app, auth, Buffer.from("hello, not an image"), "image/webp"), 415);
    expect(text.detail).to.match(/not a PNG, JPEG or WebP/);
  });

  it("an 11 MiB body is a 413 before it is read, a missing Content-Length a 411", async () => {
    const big = Buffer.alloc(11 * 1024 * 1024, 1);
    (await image("png", 8, 8)).copy(big);
    const body = await expectProblem(await upload(h.app, auth, big), 413);
    expect(body.detail).to.match(/limit is 10485760/);
    const noLength = await h.app.request("/v1/photos", { method: "POST", body: await image("png", 8, 8), headers: { ...auth, "content-type": "image/png" } });
    await expectProblem(noLength, 411);
  });

  it("a 50,000 x 50,000 header is refused with 422 before anything decodes it", async () => {
    const body = await expectProblem(await upload(h.app, auth, pngClaiming(50_000, 50_000)), 422);
    expect(body.detail).to.match(/50000x50000 is over the limit/);
  });

  it("a corrupt PNG is accepted, then fails with its reason after its retries (in the dead-letter queue)", async () => {
    const res = await upload(h.app, auth, await corruptPng());
    expect(res.status).to.equal(202);
    const id = ((await res.json()) as { id: string }).id;
    const photo = await settled(h.app, id);
    expect(photo.status).to.equal("failed");
    expect(photo.error).to.match(/do not decode as image\/png/);
    expect(photo.thumbnail).to.equal(null);
    await expectProblem(await h.app.request(`/v1/photos/${id}/thumbnail`), 404);
    const worker = h.deps.photos.worker!;
    expect(worker.counts.failed).to.be.greaterThan(0);
  });

  it("uploads need a session; unknown and malformed ids are 404", async () => {
    await expectProblem(await upload(h.app, {}, await image("png", 8, 8)), 401);
    await expectProblem(await h.app.request("/v1/photos/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), 404);
    await expectProblem(await h.app.request("/v1/photos/nope"), 404);
    await expectProblem(await h.app.request("/v1/photos/nope/thumbnail"), 404);
  });

  it("the 16 KiB body limit still applies to every other route", async () => {
    const res = await h.app.request("/v1/items", { method: "POST", ...json({ content: "x".repeat(20_000) }, auth) });
    await expectProblem(res, 413);
    const users = await h.app.request("/v1/users", { method: "POST", ...json({ username: "abc", password: "y".repeat(20_000) }) });
    await expectProblem(users, 413);
  });
});

describe("photos: the per-user upload rate", function () {
  this.timeout(60_000);
  it("refuses the upload past PHOTO_UPLOADS_PER_MINUTE with 429 and Retry-After, per user", async () => {
    const h = await startApp("embedded", { env: { PHOTO_UPLOADS_PER_MINUTE: "2" } });
    try {
      const a = (await newUser(h.app)).auth;
      const b = (await newUser(h.app)).auth;
      const png = await image("png", 16, 16);
      expect((await upload(h.app, a, png)).status).to.equal(202);
      expect((await upload(h.app, a, png)).status).to.equal(202);
      const third = await upload(h.app, a, png);
      await expectProblem(third.clone(), 429);
      expect(third.headers.get("retry-after")).to.equal("60");
      expect((await upload(h.app, b, png)).status).to.equal(202);
    } finally {
      await h.close();
    }
  });
});
