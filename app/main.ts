/**
 * `npm start`: the service. With no DATABASE_URL/REDIS_URL it runs on the embedded default (SQLite in DATA_DIR).
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish within SHUTDOWN_DEADLINE_MS, close pools, exit 0.
 */
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, ConfigError, type Config } from "./config.ts";
import { buildDeps } from "./wiring.ts";
import { createApp } from "./app.ts";

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : String(err));
  process.exit(2);
}

const deps = await buildDeps(config).catch((err: Error) => {
  console.error(`could not start: ${err.message}`);
  process.exit(1);
});
const app = createApp(deps);
/**
 * Connections the kernel completes for us while the event loop is busy. Node's default, 511, drops the SYNs of a
 * burst of a couple of thousand clients, who then retry after a second or more; the kernel caps this at somaxconn.
 */
const LISTEN_BACKLOG = 4096;
const server = createAdaptorServer({ fetch: app.fetch, hostname: config.HOST }) as Server;
server.listen({ host: config.HOST, port: config.PORT, backlog: LISTEN_BACKLOG }, () => {
  const info = server.address() as AddressInfo;
  const host = info.address.includes(":") ? `[${info.address}]` : info.address;
  const where = deps.wiring === "embedded" ? `embedded default, data in ${config.DATA_DIR}` : "MySQL/Redis from the environment";
  console.log(`scale-app listening on http://${host}:${info.port} (${where})`);
});
server.on("error", (err) => {
  console.error(`could not listen on ${config.HOST}:${config.PORT}: ${err.message}`);
  void deps.close().finally(() => process.exit(1));
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections that finish their request while we drain become idle keep-alives: close those as they appear.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = new Promise<"deadline">((resolve) => setTimeout(() => resolve("deadline"), config.SHUTDOWN_DEADLINE_MS).unref());
  if ((await Promise.race([closed, deadline])) === "deadline") {
    deps.logger.warn("shutdown deadline passed; closing remaining connections");
    server.closeAllConnections();
  }
  clearInterval(sweep);
  await deps.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
