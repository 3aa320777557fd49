/**
 * `npm start` as a real process on a real port: prints its URL, serves over HTTP, refuses bad configuration with the
 * variable's name, and on SIGTERM finishes the in-flight request before exiting 0.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/servers.ts";

function startMain(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "app/main.ts"], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${out}`)), 20_000);
    proc.stdout!.on("data", () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`exited early:\n${out}`)));
  });
  return { proc, listening, exited, output: () => out };
}

describe("npm start (app/main.ts)", function () {
  this.timeout(60_000);
  let dataDir: string;
  let proc: ChildProcess | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "scale-main-"));
  });
  after(async () => {
    proc?.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the embedded default, then drains an in-flight request on SIGTERM and exits 0", async () => {
    const port = await freePort();
    const main = startMain({ PORT: String(port), DATA_DIR: dataDir });
    proc = main.proc;
    const url = await main.listening;
    expect(url).to.equal(`http://127.0.0.1:${port}`);
    expect((await fetch(`${url}/healthz`)).status).to.equal(200);

    // Start a sign-up whose body arrives in two halves, and send SIGTERM between them.
    const body = JSON.stringify({ username: "draining_user", password: "password123" });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/v1/users`, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        main.proc.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(10)), 500);
      }, 300);
    });
    const res = await response;
    expect(res.status, res.text).to.equal(201);
    expect(await main.exited).to.equal(0);
    // a new connection is refused once it has stopped
    let refused = false;
    await fetch(`${url}/healthz`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it("stops with exit 2 and the variable's name on a bad configuration", async () => {
    const main = startMain({ PORT: "not-a-port", DATA_DIR: dataDir });
    expect(await main.exited).to.equal(2);
    expect(main.output()).to.contain("PORT");
  });
});
