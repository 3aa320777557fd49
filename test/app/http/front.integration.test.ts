/**
 * The front over real HTTP (app/main.ts, @hono/node-server): an anonymous read memory holds is answered before routing
 * from the raw request, with the same body and headers as the routed read, counted once in the route's series; with
 * a per-client limiter configured every read is still counted by it.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMain } from "../../support/app-process.ts";

describe("reads answered before routing, over HTTP", function () {
  this.timeout(60_000);
  let dataDir: string;
  const procs: ChildProcess[] = [];
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "scale-front-"));
  });
  after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  async function serve(env: Record<string, string>) {
    const main = startMain({ PORT: "0", DATA_DIR: join(dataDir, String(procs.length)), ...env });
    procs.push(main.proc);
    const url = await main.listening;
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).to.equal(201);
      return res;
    };
    await post("/v1/users", { username: "front_user", password: "correct-horse" });
    const login = await post("/v1/sessions", { username: "front_user", password: "correct-horse" });
    const { token } = (await login.json()) as { token: string };
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const item = (await (await post("/v1/items", { content: "held" }, { authorization: `Bearer ${token}` })).json()) as { id: string };
    return { url, token, cookie, path: `/v1/items/${item.id}` };
  }

  const count = async (url: string, status: number) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = new RegExp(`^http_requests_total\\{method="GET",route="/v1/items/:id",status="${status}"\\} (\\d+)`, "m").exec(text);
    return Number(m?.[1] ?? 0);
  };

  it("answers as the routed read does, keeps the caller's request id, and counts each read once", async () => {
    const { url, cookie, path } = await serve({ RATE_LIMIT_PER_MINUTE: "0" });
    const routed = await fetch(`${url}${path}`, { headers: { cookie } }); // the session's read is always routed
    const routedBody = await routed.text();
    const [ok, notModified] = [await count(url, 200), await count(url, 304)];

    const anonymous = await fetch(`${url}${path}?v=1`, { headers: { "x-request-id": "edge-trace-7" } });
    expect(anonymous.status).to.equal(200);
    expect(await anonymous.text()).to.equal(routedBody);
    for (const name of ["content-type", "etag"]) expect(anonymous.headers.get(name), name).to.equal(routed.headers.get(name));
    expect(anonymous.headers.get("x-cache")).to.equal("hit");
    expect(anonymous.headers.get("x-request-id")).to.equal("edge-trace-7");
    expect(anonymous.headers.get("content-length")).to.equal(String(Buffer.byteLength(routedBody)));

    const revalidated = await fetch(`${url}${path}`, { headers: { "if-none-match": routed.headers.get("etag")! } });
    expect(revalidated.status).to.equal(304);
    expect(revalidated.headers.get("etag")).to.equal(routed.headers.get("etag"));
    expect(revalidated.headers.get("x-request-id")).to.match(/^[\w-]{8}-[0-9a-z]+$/);
    const head = await fetch(`${url}${path}`, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal("");

    expect(await count(url, 200)).to.equal(ok + 1); // the anonymous GET (the HEAD is counted under method="HEAD")
    expect(await count(url, 304)).to.equal(notModified + 1);
  });

  it("with a per-client limiter, reads memory holds are counted like any other, answered here or routed", async () => {
    // Signing up, logging in and creating the item spend 3 of the 20. The lower half of the budget is counted in
    // memory (those reads can be answered before routing), the upper half by the limiter's store through routing.
    const { url, path } = await serve({ RATE_LIMIT_PER_MINUTE: "20" });
    const cacheAnswers = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return [...text.matchAll(/^item_cache_requests_total\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    };
    const before = await cacheAnswers();
    const statuses: number[] = [];
    for (let i = 0; i < 18; i++) statuses.push((await fetch(`${url}${path}`)).status);
    expect(statuses).to.deep.equal([...Array(17).fill(200), 429]);
    // Each answered read counted once in the cache metrics, also those the front left to routing (the upper half).
    expect(await cacheAnswers()).to.equal(before + 17);
  });
});
