import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { scale } from "../run-scale.ts";
import { freePort } from "../../support/servers.ts";

const run = promisify(execFile);

describe("scale runbook run: what the operator sees", function () {
  this.timeout(60_000);

  it("cache-diagnose prints what it found: memory, hit ratio, evictions (the shared Redis)", async () => {
    const r = await scale(["runbook", "run", "cache-diagnose", "-p", "redis-url=redis://127.0.0.1:6379/13", "--audit-log", "/dev/null"]);
    expect(r.exit, r.message).to.equal(0);
    expect(r.stdout).to.match(/found usedMemory: [\d.]+ [KMG]?B/);
    expect(r.stdout).to.match(/found evictedKeys: \d/);
    expect(r.stdout).to.match(/found (hitRatio|maxMemoryPolicy)/);
  });

  it("an unreachable app URL names the URL and the reason, not only 'fetch failed'", async () => {
    const port = await freePort(); // nothing listens there
    const r = await scale(["runbook", "run", "cache-warm", "-p", `app-url=http://127.0.0.1:${port}`, "-p", "ids=a,b", "--audit-log", "/dev/null"]);
    expect(r.exit).to.equal(1);
    expect(r.message).to.include(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it("no NodeVersionSupportWarning from the AWS SDK on an AWS runbook (bin/scale, a real process)", async function () {
    // The SDK warns only on Node < 22; on a newer Node there is nothing to hide.
    if (Number(process.versions.node.split(".")[0]) >= 22) this.skip();
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_EC2_METADATA_DISABLED: "true" };
    for (const name of ["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]) delete env[name];
    const { stderr } = await run("bin/scale", ["runbook", "run", "db-snapshot", "-p", "instance=app-db", "--dry-run", "--audit-log", "/dev/null"], { env });
    expect(stderr).to.include("db-snapshot");
    expect(stderr).not.to.include("NodeVersionSupportWarning");
  });
});
