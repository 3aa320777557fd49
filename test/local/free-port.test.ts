/**
 * Ports for local servers come from below the kernel's ephemeral range, so no outgoing connection's source port can
 * take one between the check and the server's bind; and one process never hands out the same port twice.
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { freePort } from "../../local/servers.ts";

describe("freePort", () => {
  it("hands out distinct ports below the ephemeral range, each free to bind", async function () {
    let ephemeralStart: number;
    try {
      ephemeralStart = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    } catch {
      this.skip(); // no known range off Linux
    }
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).to.equal(ports.length);
    for (const port of ports) expect(port).to.be.within(1024, ephemeralStart! - 1);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(ports[0], "127.0.0.1", resolve));
    await new Promise((resolve) => srv.close(resolve));
  });
});
