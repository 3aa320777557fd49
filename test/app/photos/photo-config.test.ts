import { expect } from "chai";
import { loadConfig, ConfigError } from "../../../app/config.ts";
import { startWorkerProcess } from "../../support/worker-process.ts";

describe("photo and worker settings", function () {
  this.timeout(60_000);
  it("default to a folder, an in-process queue, 30 uploads a minute and 50 megapixels", () => {
    const c = loadConfig({});
    expect(c.UPLOADS_BUCKET).to.equal(undefined);
    expect(c.QUEUE_URL).to.equal(undefined);
    expect(c).to.include({ PHOTO_UPLOADS_PER_MINUTE: 30, PHOTO_MAX_PIXELS: 50_000_000, WORKER_CONCURRENCY: 2, ARCHIVE_AFTER_DAYS: 0, AWS_REGION: "us-east-1" });
  });

  it("refuse a bad bucket, queue URL or region, naming the variable and not the value", () => {
    for (const [name, value] of [["UPLOADS_BUCKET", "Not_A_Bucket"], ["QUEUE_URL", "sqs://x"], ["AWS_REGION", "mars"], ["WORKER_CONCURRENCY", "0"]] as const) {
      expect(() => loadConfig({ [name]: value }), name).to.throw(ConfigError, new RegExp(`${name}:`));
      try {
        loadConfig({ [name]: value });
      } catch (err) {
        expect((err as Error).message).not.to.include(value);
      }
    }
  });

  it("the worker without QUEUE_URL exits 2 and says what to set", async () => {
    const w = startWorkerProcess({ QUEUE_URL: "" });
    w.started.catch(() => undefined);
    expect((await w.exited).code).to.equal(2);
    expect(w.output()).to.match(/QUEUE_URL: the worker needs a queue/);
  });
});
