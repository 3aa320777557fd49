/**
 * HAProxy's runtime API over its admin socket: what a rolling deploy needs to take one server out of a backend and put
 * it back without a reload (`set server B/S state drain|maint|ready`, and `show stat` for its sessions and status).
 */
import { connect } from "node:net";

/** A server's administrative state, as `set server ... state` takes it. */
export type ServerState = "ready" | "drain" | "maint";

/** One server line of `show stat`: its status (UP, DOWN, MAINT, DRAIN, "no check"...) and current sessions. */
export interface ServerStat {
  backend: string;
  server: string;
  status: string;
  sessions: number;
}

export class HaproxyRuntimeError extends Error {
  override name = "HaproxyRuntimeError";
}

export class HaproxyRuntime {
  /**
   * @param socket the admin socket's path (a `stats socket ... level admin`)
   * @param prefix for a master CLI socket, the worker to address (`@1`); empty for a worker's own socket
   */
  constructor(
    readonly socket: string,
    private readonly prefix = "",
    private readonly timeoutMs = 5000,
  ) {}

  /** Send one command and return its answer. */
  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const conn = connect(this.socket);
      let out = "";
      const timer = setTimeout(() => {
        conn.destroy();
        reject(new HaproxyRuntimeError(`HAProxy's socket ${this.socket} did not answer "${line}" within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      conn.on("connect", () => conn.end(`${this.prefix ? `${this.prefix} ` : ""}${line}\n`));
      conn.on("data", (d: Buffer) => (out += d.toString()));
      conn.on("error", (err) => {
        clearTimeout(timer);
        reject(new HaproxyRuntimeError(`HAProxy's socket ${this.socket}: ${err.message}`));
      });
      conn.on("close", () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  }

  async setState(backend: string, server: string, state: ServerState): Promise<void> {
    const answer = (await this.command(`set server ${backend}/${server} state ${state}`)).trim();
    // Success prints nothing; an unknown backend or server is answered in words.
    if (answer) throw new HaproxyRuntimeError(`HAProxy refused "set server ${backend}/${server} state ${state}": ${answer}`);
  }

  /** Every server of every backend (the BACKEND and FRONTEND summary lines left out). */
  async servers(): Promise<ServerStat[]> {
    const csv = await this.command("show stat");
    const lines = csv.split("\n").filter((l) => l.trim());
    const header = lines.shift()?.replace(/^# /, "").split(",");
    if (!header) throw new HaproxyRuntimeError(`HAProxy's "show stat" answered nothing on ${this.socket}`);
    const col = (name: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new HaproxyRuntimeError(`HAProxy's "show stat" has no ${name} column`);
      return i;
    };
    const [px, sv, status, scur] = [col("pxname"), col("svname"), col("status"), col("scur")];
    return lines
      .map((l) => l.split(","))
      .filter((f) => f[sv] !== "BACKEND" && f[sv] !== "FRONTEND")
      .map((f) => ({ backend: f[px]!, server: f[sv]!, status: f[status]!, sessions: Number(f[scur] ?? 0) }));
  }

  async server(backend: string, server: string): Promise<ServerStat> {
    const found = (await this.servers()).find((s) => s.backend === backend && s.server === server);
    if (!found) throw new HaproxyRuntimeError(`HAProxy has no server ${backend}/${server}`);
    return found;
  }
}
