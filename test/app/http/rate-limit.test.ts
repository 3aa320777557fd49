/** The limiter counts per client; behind a load balancer (TRUST_PROXY=1) the client is the last X-Forwarded-For hop. */
import { expect } from "chai";
import { startApp, type Harness } from "../support.ts";

const ITEM = "/v1/items/01900000-0000-7000-8000-000000000000";

describe("rate limit per client", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("gives each forwarded client its own budget when TRUST_PROXY=1, keyed on the hop a client cannot forge", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "2", TRUST_PROXY: "1" } });
    const from = (xff: string) => h.app.request(ITEM, { headers: { "x-forwarded-for": xff } });
    expect((await from("10.0.0.1")).status).to.equal(404);
    expect((await from("10.0.0.1")).status).to.equal(404);
    expect((await from("10.0.0.1")).status).to.equal(429);
    // A spoofed first hop does not buy a fresh budget: the balancer appended the real address last.
    expect((await from("1.2.3.4, 10.0.0.1")).status).to.equal(429);
    expect((await from("10.0.0.2")).status).to.equal(404);
  });

  it("ignores X-Forwarded-For without TRUST_PROXY", async () => {
    h = await startApp("embedded", { env: { RATE_LIMIT_PER_MINUTE: "1" } });
    expect((await h.app.request(ITEM, { headers: { "x-forwarded-for": "10.0.0.1" } })).status).to.equal(404);
    expect((await h.app.request(ITEM, { headers: { "x-forwarded-for": "10.0.0.2" } })).status).to.equal(429);
  });
});
