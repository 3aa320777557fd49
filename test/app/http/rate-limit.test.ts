/**
 * The limiter counts per client. Behind TRUST_PROXY=N proxies the client is the address N from the right of
 * X-Forwarded-For: whatever a client writes into the header itself sits further left and changes nothing.
 */
import { expect } from "chai";
import { startApp, type Harness } from "../support.ts";

const ITEM = "/v1/items/01900000-0000-7000-8000-000000000000";

describe("rate limit per client", () => {
  let h: Harness;
  afterEach(async () => h?.close());
  const from = (xff: string) => h.app.request(ITEM, { headers: { "x-forwarded-for": xff } });
  const statuses = async (...xffs: string[]) => {
    const out: number[] = [];
    for (const xff of xffs) out.push((await from(xff)).status);
    return out;
  };

  it("gives each forwarded client its own budget when TRUST_PROXY=1, keyed on the hop a client cannot forge", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "1" } });
    expect(await statuses("10.0.0.1", "10.0.0.1", "10.0.0.1")).to.deep.equal([404, 404, 429]);
    // A spoofed first hop does not buy a fresh budget: the balancer appended the real address last.
    expect((await from("1.2.3.4, 10.0.0.1")).status).to.equal(429);
    expect((await from("10.0.0.2")).status).to.equal(404);
  });

  it("behind two proxies (CloudFront + ALB) keys on the address the outer one saw, whatever the client prepends", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "3", TRUST_PROXY: "2" } });
    // <what the client wrote>, <client as CloudFront saw it>, <CloudFront's edge as the ALB saw it>
    expect(
      await statuses("203.0.113.7, 198.51.100.1", "9.9.9.9, 203.0.113.7, 198.51.100.2", "1.1.1.1, 2.2.2.2, 203.0.113.7, 198.51.100.3", "8.8.8.8, 203.0.113.7, 198.51.100.1"),
    ).to.deep.equal([404, 404, 404, 429]);
    // Another client through the same edge has a budget of its own: the edge's address is not the key.
    expect((await from("203.0.113.8, 198.51.100.1")).status).to.equal(404);
  });

  it("takes the leftmost address when the chain is shorter than the trusted hops", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "1", TRUST_PROXY: "3" } });
    expect(await statuses("10.0.0.9", "10.0.0.9, 198.51.100.1", "10.0.0.10")).to.deep.equal([404, 429, 404]);
  });

  it("ignores X-Forwarded-For without TRUST_PROXY", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "1" } });
    expect(await statuses("10.0.0.1", "10.0.0.2")).to.deep.equal([404, 429]);
  });
});
