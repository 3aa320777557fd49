/**
 * The local stages' front door (HAProxy standing in for the ALB) across a reload: a client holding an idle keep-alive
 * connection must not see it closed under it, or a POST sent on it fails with no answer at all instead of a 503.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import {
  freePort, haproxyConfig, haproxyPaths, haproxySpec, masterCommand, unavailableResponse, workersOf, type FrontDoor,
} from "../../local/servers.ts";
import { eventually } from "../support/eventually.ts";
import { tempDir } from "../support/tmp.ts";

/** Reads one HTTP/1.1 response (head and Content-Length body) from a socket; null if the server closed it instead. */
function response(socket: Socket): Promise<{ status: number; head: string } | null> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(null);
    let buf = "";
    const done = (r: { status: number; head: string } | null) => {
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onClose);
      socket.off("end", onClose);
      resolve(r);
    };
    const onData = (d: Buffer) => {
      buf += d.toString();
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length - end - 4 >= length) done({ status: Number(head.split(" ")[1]), head });
    };
    const onClose = () => done(null);
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onClose);
    socket.once("end", onClose);
  });
}

describe("local front door: HAProxy reloads without closing a client's idle connection", function () {
  this.timeout(30_000);
  const folder = tempDir("front-door");
  let backend: Server;
  let haproxy: ChildProcess;
  let door: FrontDoor;

  before(async () => {
    backend = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json", "content-length": "11" }).end('{"ok":true}'));
    }).listen(0, "127.0.0.1");
    await once(backend, "listening");
    door = { port: await freePort(), folder, mode: "box", servers: { box: [{ name: "app-box-1", port: (backend.address() as AddressInfo).port }] } };
    const paths = haproxyPaths(folder);
    await writeFile(paths.unavailable, unavailableResponse());
    await writeFile(paths.config, haproxyConfig(door, "/"));
    const spec = haproxySpec(door);
    haproxy = spawn(spec.command, spec.args, { cwd: folder, stdio: "ignore" });
    await eventually("HAProxy's first worker", async () => (workersOf(await masterCommand(paths.master, "show proc")).current.length === 1 ? true : undefined));
  });
  after(async () => {
    haproxy?.kill("SIGTERM");
    if (haproxy && haproxy.exitCode === null) await once(haproxy, "exit");
    backend?.close();
  });

  it("answers the next request on a connection opened before the reload, then closes it", async () => {
    const socket = connect(door.port, "127.0.0.1");
    await once(socket, "connect");
    const post = "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    socket.write(post);
    expect((await response(socket))?.status).to.equal(201);

    const paths = haproxyPaths(folder);
    const before = workersOf(await masterCommand(paths.master, "show proc")).current;
    haproxy.kill("SIGUSR2");
    await eventually("a new worker after the reload", async () => {
      const now = workersOf(await masterCommand(paths.master, "show proc"));
      return now.current.some((w) => !before.includes(w)) ? true : undefined;
    });
    // The old worker has had time to act on its idle connections; the client, not knowing, sends on this one.
    await new Promise((r) => setTimeout(r, 500));
    const answer = response(socket);
    if (!socket.destroyed) socket.write(post);
    const r = await answer;
    expect(r, "the old worker closed the idle connection under the client").to.not.equal(null);
    expect(r!.status).to.equal(201);
    expect(r!.head).to.match(/connection: close/i);
    socket.destroy();
  });
});
