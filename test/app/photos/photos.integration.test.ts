/**
 * Photos on real servers: MariaDB (the shared one), SQS and S3 from fauxqs on free ports, the worker as a process.
 * The faults of contracts §5: a worker killed mid-job, SIGTERM mid-job, a long job, the queue server down, poison.
 */
import { expect } from "chai";
import { startApp, newUser, SHARED_MARIADB, type Harness } from "../support.ts";
import { startLocalS3, startLocalSqs, HoldingProxy, FAKE_AWS_ENV, type LocalS3, type LocalSqs } from "../../support/aws-servers.ts";
import { startWorkerProcess } from "../../support/worker-process.ts";
import { image, corruptPng } from "../../support/images.ts";
import { upload, settled } from "./support.ts";
import { startWorker } from "../../../app/worker/job-runner.ts";

const BUCKET = "uploads";

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("photos on MariaDB + SQS + S3 (fauxqs), with worker processes", function () {
  this.timeout(180_000);
  let s3: LocalS3;
  let sqs: LocalSqs;
  let h: Harness;
  let auth: Record<string, string>;
  let env: Record<string, string>;
  const workers: Array<ReturnType<typeof startWorkerProcess>> = [];

  function worker(extra: Record<string, string> = {}) {
    const w = startWorkerProcess({ ...env, ...extra });
    workers.push(w);
    return w;
  }

  before(async () => {
    s3 = await startLocalS3([BUCKET]);
    // Three deliveries: a poll left open by a killed worker may take one delivery, as with SQS itself.
    sqs = await startLocalSqs({ visibilitySeconds: 2, maxReceiveCount: 3 });
    const photoEnv = {
      ...FAKE_AWS_ENV, UPLOADS_BUCKET: BUCKET, S3_ENDPOINT: s3.endpoint, QUEUE_URL: sqs.queueUrl, SQS_ENDPOINT: sqs.endpoint,
      WORKER_RETRY_DELAY_SECONDS: "0", PHOTO_UPLOADS_PER_MINUTE: "0",
    };
    h = await startApp("servers", { env: photoEnv });
    env = { ...photoEnv, DATABASE_URL: `${SHARED_MARIADB}/${h.names!.database}`, LOG_LEVEL: "info", WORKER_CONCURRENCY: "1" };
    auth = (await newUser(h.app)).auth;
  });
  afterEach(async () => {
    // SIGTERM: a worker's open long poll is closed, not left to swallow the next test's message.
    for (const w of workers.splice(0)) {
      w.proc.kill("SIGCONT");
      w.proc.kill("SIGTERM");
      await w.exited;
    }
  });
  after(async () => {
    await h?.close();
    await sqs?.stop();
    await s3?.stop();
  });

  /** A proxy to S3 holding every read of an original: a worker behind it stops inside its job. */
  const holdOriginals = () => HoldingProxy.start(s3.endpoint, (req) => req.method === "GET" && /\/original/.test(req.url ?? ""));

  async function accepted(body: Buffer, type = "image/png"): Promise<string> {
    const res = await upload(h.app, auth, body, type);
    expect(res.status, await res.clone().text()).to.equal(202);
    return ((await res.json()) as { id: string }).id;
  }

  it("a photo uploaded through the API gets its thumbnail from a worker process, stored beside the original", async () => {
    const w = worker();
    await w.started;
    const id = await accepted(await image("jpeg", 1200, 800), "image/jpeg");
    const photo = await settled(h.app, id);
    expect(photo.status, photo.error).to.equal("ready");
    expect(photo.thumbnail).to.deep.include({ width: 256, height: 171 });
    const keys = await s3.keys(BUCKET, `photos/${id}/`);
    expect(keys).to.have.length(2);
    expect(keys).to.include(`photos/${id}/original`);
    const thumb = await h.app.request(photo.thumbnail!.url);
    expect([thumb.status, thumb.headers.get("content-type")]).to.deep.equal([200, "image/webp"]);
  });

  it("a worker SIGKILLed mid-job: the job is redelivered and finished once", async () => {
    const proxy = await holdOriginals();
    try {
      const first = worker({ S3_ENDPOINT: proxy.endpoint });
      await first.started;
      const id = await accepted(await image("png", 800, 600));
      await proxy.waitForHeld();
      first.proc.kill("SIGKILL");
      await first.exited;
      expect(first.jobs()).to.deep.equal([]);
      const second = worker();
      await second.started;
      const photo = await settled(h.app, id).catch((err: Error) => {
        throw new Error(`${err.message}\nfirst:\n${first.output()}\nsecond:\n${second.output()}`);
      });
      expect(photo.status, photo.error).to.equal("ready");
      await until(() => second.jobs().length > 0);
      const done = second.jobs();
      expect(done.map((j) => [j.photoId, j.outcome])).to.deep.equal([[id, "ready"]]);
      expect(done[0]!.receiveCount).to.be.at.least(2);
      expect((await s3.keys(BUCKET, `photos/${id}/`)).filter((k) => k.includes("thumbnail"))).to.have.length(1);
      expect(await sqs.count()).to.deep.equal({ visible: 0, inFlight: 0 });
    } finally {
      await proxy.stop();
    }
  });

  it("SIGTERM lets the job in hand finish, then the worker exits 0", async () => {
    const proxy = await holdOriginals();
    try {
      const w = worker({ S3_ENDPOINT: proxy.endpoint });
      await w.started;
      const id = await accepted(await image("png", 300, 300));
      await proxy.waitForHeld();
      w.proc.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      proxy.release();
      expect((await w.exited).code, w.output()).to.equal(0);
      expect(w.jobs().map((j) => [j.photoId, j.outcome])).to.deep.equal([[id, "ready"]]);
      expect((await settled(h.app, id)).status).to.equal("ready");
    } finally {
      await proxy.stop();
    }
  });

  it("a job longer than the visibility timeout keeps its message invisible: no second worker gets it", async () => {
    const proxy = await holdOriginals();
    try {
      const slow = worker({ S3_ENDPOINT: proxy.endpoint });
      await slow.started;
      // Only the slow worker may take it: the other starts once the slow one holds the job. (A stopped process's
      // long poll stays open at the server and may still be handed the message, so it is not started at all yet.)
      const id = await accepted(await image("png", 200, 100));
      await proxy.waitForHeld();
      const other = worker();
      await other.started;
      await new Promise((r) => setTimeout(r, 3 * 2000 + 1000)); // three visibility timeouts
      expect(other.jobs()).to.deep.equal([]);
      proxy.release();
      const photo = await settled(h.app, id);
      expect(photo.status).to.equal("ready");
      await until(() => slow.jobs().length + other.jobs().length > 0);
      expect(slow.jobs().map((j) => [j.photoId, j.outcome])).to.deep.equal([[id, "ready"]]);
      expect(other.jobs()).to.deep.equal([]);
    } finally {
      await proxy.stop();
    }
  });

  it("a corrupt PNG ends failed with its reason after its retries, its message in the dead-letter queue", async () => {
    const w = worker();
    await w.started;
    const id = await accepted(await corruptPng());
    const photo = await settled(h.app, id);
    expect(photo.status).to.equal("failed");
    expect(photo.error).to.match(/do not decode as image\/png/);
    // The redrive policy moves it on the next receive after the last delivery.
    await until(async () => (await sqs.count("dlq")).visible > 0);
    expect(await sqs.count("dlq")).to.deep.include({ visible: 1 });
  });

  it("with the SQS server stopped uploads still answer 202, and the outbox drains when it returns", async () => {
    await sqs.stop();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await accepted(await image("png", 64 + i, 64)));
    expect(await h.deps.photos.outbox.pending()).to.equal(3);
    await new Promise((r) => setTimeout(r, 1500)); // the relay tries and fails meanwhile
    expect(await h.deps.photos.outbox.pending()).to.equal(3);
    await sqs.start();
    await until(async () => (await h.deps.photos.outbox.pending()) === 0, 60_000);
    expect(await h.deps.photos.outbox.pending()).to.equal(0);
    const w = worker();
    await w.started;
    for (const id of ids) expect((await settled(h.app, id)).status).to.equal("ready");
  });

  it("a repeated message makes no second thumbnail (idempotent by photo id and content hash)", async () => {
    const { photos, blobs, queue } = h.deps.photos;
    const inProcess = startWorker({ queue, photos, blobs, logger: h.deps.logger }, { concurrency: 1, maxPixels: 50_000_000, retryDelaySeconds: 0, waitSeconds: 1 });
    try {
      const id = await accepted(await image("webp", 500, 500), "image/webp");
      expect((await settled(h.app, id)).status).to.equal("ready");
      const photo = (await photos.findById(id))!;
      await sqs.sendRaw(JSON.stringify({ photoId: id, sha256: photo.sha256 }));
      await until(() => inProcess.counts["already-done"] > 0);
      expect(inProcess.counts["already-done"]).to.equal(1);
      expect((await s3.keys(BUCKET, `photos/${id}/`)).filter((k) => k.includes("thumbnail"))).to.have.length(1);
    } finally {
      await inProcess.stop();
    }
  });
});
