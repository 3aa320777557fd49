import { expect } from "chai";
import { eventually } from "../support/eventually.ts";
import { isAlive, local, localDir, localRun, login, type StageDoc } from "./support.ts";

describe("scale local up/status/down: stage 0 on this machine", function () {
  // The first run in a clean clone builds the release (Node and a native addon): minutes; later runs reuse it.
  this.timeout(900_000);
  const dir = localDir("scale-local-0");
  let up: StageDoc;

  before(async () => {
    up = await local("up", "--stage", "0", "--dir", dir, "--env", "RATE_LIMIT_PER_MINUTE=0");
  });
  after(async () => {
    await localRun("down", "--purge", "--dir", dir);
  });

  it("prints the contract's document and runs the box, its MariaDB and the front door, all on 127.0.0.1", () => {
    expect(up.stage).to.equal(0);
    expect(up.dir).to.equal(dir);
    expect(up.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(up.components.map((c) => c.name).sort()).to.deep.equal(["app-box-1", "haproxy", "mariadb-box"]);
    for (const c of up.components) {
      expect(c.address, c.name).to.match(/^127\.0\.0\.1:\d+$/);
      expect(c.pid, c.name).to.be.a("number");
    }
    expect(up.components.find((c) => c.name === "haproxy")!.address).to.equal(up.endpoint.replace("http://", ""));
  });

  it("status reports every component up", async () => {
    const status = await local("status", "--dir", dir);
    expect(status.endpoint).to.equal(up.endpoint);
    expect(status.components.map((c) => [c.name, c.health])).to.deep.include.members([["app-box-1", "up"], ["haproxy", "up"], ["mariadb-box", "up"]]);
  });

  it("serves sign-up, log-in, a write and its read through the endpoint, from the release archive", async () => {
    const token = await login(up.endpoint, "alice");
    const write = await fetch(`${up.endpoint}/v1/items`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ content: "hello from stage 0" }),
    });
    expect(write.status).to.equal(201);
    const { id } = (await write.json()) as { id: string };
    const read = await fetch(`${up.endpoint}/v1/items/${id}`);
    expect(read.status).to.equal(200);
    expect(((await read.json()) as { content: string }).content).to.equal("hello from stage 0");
    const status = await local("status", "--dir", dir);
    expect(status.components.find((c) => c.name === "app-box-1")!.kind).to.equal("app");
  });

  it("replaces an app process that dies, as an auto scaling group would", async () => {
    const before = (await local("status", "--dir", dir)).components.find((c) => c.name === "app-box-1")!.pid!;
    process.kill(before, "SIGKILL");
    const replaced = await eventually("app-box-1 replaced and ready", async () => {
      const c = (await local("status", "--dir", dir)).components.find((x) => x.name === "app-box-1")!;
      return c.pid !== before && c.health === "up" ? c : undefined;
    }, 120_000);
    expect(isAlive(replaced.pid!)).to.equal(true);
    // HAProxy's health check takes it back within a check interval.
    await eventually("the endpoint ready again", async () => ((await fetch(`${up.endpoint}/readyz`)).status === 200 ? true : undefined), 30_000);
  });

  it("refuses `up` of another stage on the same folder (exit 2, naming the move to make)", async () => {
    const run = await localRun("up", "--stage", "2", "--dir", dir);
    expect(run.exit).to.equal(2);
    expect(run.stdout + (run.message ?? "")).to.match(/local move --to 2/);
  });

  it("refuses an unknown stage and a malformed --env (exit 2)", async () => {
    expect((await localRun("up", "--stage", "9", "--dir", dir)).exit).to.equal(2);
    expect((await localRun("up", "--stage", "0", "--dir", dir, "--env", "lower=1")).exit).to.equal(2);
  });

  it("down stops every process it started, and the endpoint closes", async () => {
    const pids = (await local("status", "--dir", dir)).components.map((c) => c.pid!);
    const down = await local<{ stopped: string[] }>("down", "--dir", dir);
    expect(down.stopped).to.include.members(["app-box-1", "haproxy", "mariadb-box"]);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
    const closed = await fetch(`${up.endpoint}/readyz`).then(() => false, () => true);
    expect(closed).to.equal(true);
  });
});
