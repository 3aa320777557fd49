import { expect } from "chai";
import { spawn } from "node:child_process";
import { Redis } from "ioredis";

// The shared Redis on 6379, in a database number of this test's own.
const REDIS = "redis://127.0.0.1:6379/13";

/** Run bin/scale on a pseudo-terminal (util-linux `script`), typing `keys` once the question shows. */
function onTerminal(args: string[], keys: string): Promise<{ code: number | null; out: string }> {
  const cmd = ["bin/scale", ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let typed = false;
  const take = (d: Buffer) => {
    out += d;
    if (!typed && out.includes("[y/N]")) {
      typed = true;
      child.stdin.write(keys);
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe("scale runbook run: the confirmation prompt on a terminal", function () {
  this.timeout(90_000);
  let redis: Redis;
  before(async () => {
    redis = new Redis(REDIS);
    await redis.mset("stm:item:a", "1", "stm:item:b", "2", "stm:session:x", "3");
  });
  after(async () => {
    await redis.flushdb();
    redis.disconnect();
  });

  it("cache-flush -p pattern='*' shows target, parameters, the keys matched and the whole-keyspace warning; Ctrl-C is 'cancelled', exit 3", async () => {
    const { code, out } = await onTerminal(["runbook", "run", "cache-flush", "-p", `redis-url=${REDIS}`, "-p", "pattern=*", "--audit-log", "/dev/null"], "\x03");
    expect(out).to.include("target:").and.include("stack ");
    expect(out).to.include(`parameters: redis-url=${REDIS} pattern=*`);
    expect(out).to.match(/count: .*matching: 3/);
    expect(out).to.match(/UNLINK every key matching \*/);
    expect(out).to.include("WARNING: pattern * is the whole keyspace");
    expect(out).to.include("cancelled; nothing was changed");
    expect(out).not.to.include("AbortError");
    expect(code).to.equal(3);
    expect(await redis.dbsize()).to.equal(3);
  });
});
