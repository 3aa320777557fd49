import { expect } from "chai";
import { execa, type ResultPromise } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/servers.ts";
import { cacheFlush } from "../../runbooks/cache-flush.ts";
import { cacheWarm } from "../../runbooks/cache-warm.ts";
import { resolveParams } from "../../runbooks/lib/run.ts";
import { runForTest } from "./helpers.ts";

const TOKEN = "cli-test-admin-token-0123";

// The real service as a process (its embedded default: SQLite and the in-process cache), with admin endpoints on.
describe("cache runbooks through the app's admin endpoints (real app process)", function () {
  this.timeout(60_000);
  let app: ResultPromise;
  let appUrl: string;
  let dataDir: string;
  let itemId: string;

  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${appUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, string>;
  };
  const xCache = async (id: string) => (await fetch(`${appUrl}/v1/items/${id}`)).headers.get("x-cache");

  before(async () => {
    const port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), "scale-cli-app-"));
    appUrl = `http://127.0.0.1:${port}`;
    app = execa(process.execPath, ["--import", "tsx", "app/main.ts"], {
      env: { PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: "0", LOG_LEVEL: "warn" },
      extendEnv: false,
      reject: false,
    });
    for (let i = 0; i < 150; i++) {
      if (await fetch(`${appUrl}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await post("/v1/users", { username: "runbook_user", password: "password123" });
    const { token } = await post("/v1/sessions", { username: "runbook_user", password: "password123" });
    itemId = (await post("/v1/items", { content: "warm me" }, token)).id as string;
  });
  after(() => {
    app?.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("cache-flush through the app empties the cache: the next read is a miss", async () => {
    await xCache(itemId);
    expect(await xCache(itemId)).to.equal("hit");
    const { report } = await runForTest(cacheFlush, { "app-url": appUrl, "admin-token": TOKEN });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[1]?.outputs.removed).to.equal(1);
    expect(await xCache(itemId)).to.equal("miss");
  });

  it("cache-warm through the app loads the newest items: the next read is a hit", async () => {
    await runForTest(cacheFlush, { "app-url": appUrl, "admin-token": TOKEN });
    const { report } = await runForTest(cacheWarm, { "app-url": appUrl, "admin-token": TOKEN, limit: "10" });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[0]?.outputs).to.deep.include({ read: 1, stored: 1 });
    expect(await xCache(itemId)).to.equal("hit");
  });

  it("cache-warm by ids reads each one and sees the cache serve the second read", async () => {
    await runForTest(cacheFlush, { "app-url": appUrl, "admin-token": TOKEN });
    const { report } = await runForTest(cacheWarm, { "app-url": appUrl, ids: `${itemId},01a00000-0000-7000-8000-000000000000` });
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[1]?.outputs.cached).to.equal(1);
  });

  it("a wrong admin token fails the step with the app's answer", async () => {
    const { report } = await runForTest(cacheFlush, { "app-url": appUrl, "admin-token": "wrong-token-wrong-token" });
    expect(report.failedStep).to.equal("flush");
    expect(report.steps[1]?.error).to.match(/answered 401/);
  });

  it("without a way in (no admin token, no Redis URL, no ids) the parameters are refused", () => {
    expect(() => resolveParams(cacheFlush, { "app-url": appUrl })).to.throw(/admin-token=.*redis-url=/);
    expect(() => resolveParams(cacheWarm, { "app-url": appUrl })).to.throw(/admin-token=.*ids=/);
  });
});
