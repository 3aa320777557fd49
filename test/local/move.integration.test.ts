import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { local, localDir, localRun, login, type StageDoc } from "./support.ts";

interface MoveDoc {
  from: number;
  to: number;
  steps: { name: string; status: string; seconds: number }[];
  writeUnavailableSeconds: number;
}

/**
 * A small writer/reader load with one logged-in session: writes carry an Idempotency-Key and are retried with the same
 * key after a 503's Retry-After. Every answer that is not a 2xx is recorded, with its Retry-After.
 */
function startLoad(endpoint: string, token: string) {
  const acked = new Map<string, string>();
  const failures: { status: number | string; retryAfter: string | null; method: string }[] = [];
  let running = true;
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const writer = (async () => {
    let n = 0;
    while (running) {
      const content = `item ${n++} ${randomUUID()}`;
      const key = randomUUID();
      for (;;) {
        const res = await fetch(`${endpoint}/v1/items`, { method: "POST", headers: { ...headers, "idempotency-key": key }, body: JSON.stringify({ content }) })
          .catch((e: Error) => ({ status: `network: ${e.message}`, headers: new Headers(), json: async () => ({}) }) as unknown as Response);
        if (res.status === 201) {
          acked.set(((await res.json()) as { id: string }).id, content);
          break;
        }
        failures.push({ status: res.status, retryAfter: res.headers.get("retry-after"), method: "POST" });
        await pause(Number(res.headers.get("retry-after") ?? 1) * 200);
        if (!running) break;
      }
      await pause(50);
    }
  })();
  const reader = (async () => {
    while (running) {
      const ids = [...acked.keys()];
      const id = ids[Math.floor(Math.random() * ids.length)];
      if (id) {
        const res = await fetch(`${endpoint}/v1/items/${id}`, { headers })
          .catch((e: Error) => ({ status: `network: ${e.message}`, headers: new Headers(), text: async () => "" }) as unknown as Response);
        if (res.status !== 200) failures.push({ status: res.status, retryAfter: res.headers.get("retry-after"), method: "GET" });
        else await res.text();
      }
      await pause(30);
    }
  })();
  return {
    acked, failures,
    async stop() {
      running = false;
      await Promise.all([writer, reader]);
    },
  };
}

describe("scale local move: 0 → 5 → 2 under a writer/reader load", function () {
  this.timeout(1_500_000);
  const dir = localDir("scale-local-move");
  let up: StageDoc;

  before(async () => {
    up = await local("up", "--stage", "0", "--dir", dir, "--env", "RATE_LIMIT_PER_MINUTE=0");
  });
  after(async () => {
    await localRun("down", "--purge", "--dir", dir);
  });

  it("keeps the endpoint, every acknowledged write and the session; every failed request is a 503 with Retry-After", async () => {
    const token = await login(up.endpoint, "mover");
    const load = startLoad(up.endpoint, token);
    await new Promise((r) => setTimeout(r, 2000));
    const moves: MoveDoc[] = [];
    try {
      moves.push(await local<MoveDoc>("move", "--to", "5", "--dir", dir));
      moves.push(await local<MoveDoc>("move", "--to", "2", "--dir", dir));
    } finally {
      await new Promise((r) => setTimeout(r, 1000));
      await load.stop();
    }
    for (const move of moves) {
      const unavailable = move.steps.filter((s) => /data: (freeze|apply|verify|promote|switch|check-serving)$/.test(s.name));
      console.log(`      ${move.from}→${move.to}: writes unavailable ${move.writeUnavailableSeconds} s${unavailable.length ? ` (${unavailable.map((s) => `${s.name} ${s.seconds} s`).join(", ")})` : ""}`);
    }
    console.log(`      ${load.acked.size} writes acknowledged, ${load.failures.length} refused`);
    const [upward, downward] = moves as [MoveDoc, MoveDoc];
    expect([upward.from, upward.to, downward.from, downward.to]).to.deep.equal([0, 5, 5, 2]);
    for (const move of moves) expect(move.steps.filter((s) => s.status !== "ok")).to.deep.equal([]);
    expect(upward.steps.map((s) => s.name)).to.include.members(["0→1: expand", "0→1: verify", "0→1: contract", "1→2: switch tiers", "4→5: verify"]);
    expect(downward.steps.map((s) => s.name)).to.include.members(["5→4: contract", "3→2: contract"]);
    expect(upward.writeUnavailableSeconds).to.be.greaterThan(0);

    for (const f of load.failures) {
      expect(f.status, JSON.stringify(f)).to.equal(503);
      expect(f.retryAfter, JSON.stringify(f)).to.match(/^\d+$/);
    }
    expect(load.acked.size).to.be.greaterThan(0);
    for (const [id, content] of load.acked) {
      const res = await fetch(`${up.endpoint}/v1/items/${id}`);
      expect(res.status, id).to.equal(200);
      expect(((await res.json()) as { content: string }).content).to.equal(content);
    }
    // The token from stage 0 still writes after 0 → 5 → 2: no one had to log in again.
    const write = await fetch(`${up.endpoint}/v1/items`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ content: "after the move" }),
    });
    expect(write.status).to.equal(201);

    const status = await local("status", "--dir", dir);
    expect(status.stage).to.equal(2);
    expect(status.endpoint).to.equal(up.endpoint);
    expect(status.components.map((c) => c.name)).to.include.members(["mariadb-primary", "haproxy"]);
    expect(status.components.map((c) => c.name)).not.to.include("mariadb-box");
    expect(status.components.filter((c) => c.kind === "app").map((c) => c.name.replace(/-\d+$/, "")).sort()).to.deep.equal(["app-read", "app-read", "app-write", "app-write"]);
  });
});
