/** Request id, one JSON log line per request, the request metrics, and the read path's direct response. */
import type { Context, Next } from "hono";
import type { Logger } from "pino";
import { routePath } from "hono/route";
import { randomBytes } from "node:crypto";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "./env.ts";

const INCOMING_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Request ids: a random per-process prefix and a counter. Unique across processes and restarts (the prefix is 48
 * random bits), and without randomUUID's cost on every request.
 */
const ID_PREFIX = randomBytes(6).toString("base64url");
let idCounter = 0;
export const newRequestId = () => `${ID_PREFIX}-${(++idCounter).toString(36)}`;

/** The request's logger (bound to its id), created on first use: most requests never log. */
export function requestLog(c: Context<AppEnv>): Logger {
  let log = c.get("requestLog");
  if (!log) {
    log = c.get("logger").child({ reqId: c.get("requestId") });
    c.set("requestLog", log);
  }
  return log;
}

/** Responses that already carry X-Request-Id, so observe() does not touch their headers. */
const stamped = new WeakSet<Response>();

/**
 * A response with its headers in one plain object, X-Request-Id among them. @hono/node-server writes such a response
 * straight to the socket; c.header() would build a WHATWG Headers object (and its validation) for every request.
 */
export function stampedResponse(requestId: string, body: string | null, status: number, headers: Record<string, string>): Response {
  headers["X-Request-Id"] = requestId;
  const res = new Response(body, { status, headers });
  stamped.add(res);
  return res;
}

/** The incoming X-Request-Id when it is well-formed (a proxy's or the client's), a new one otherwise. */
export const requestIdFrom = (incoming: string | null | undefined) => (incoming && INCOMING_ID.test(incoming) ? incoming : newRequestId());

export type RecordRequest = (method: string, path: string, route: string, status: number, started: number, requestId: string) => void;

/** What every request leaves behind, routed or not: its metrics series and, at info, one log line. */
export function requestRecorder(deps: Pick<Deps, "logger" | "metrics">): RecordRequest {
  const { requests } = deps.metrics;
  const { logger } = deps;
  return (method, path, route, status, started, requestId) => {
    const seconds = (performance.now() - started) / 1000;
    requests.of(method, route, status).record(seconds);
    if (logger.isLevelEnabled("info")) logger.info({ reqId: requestId, method, path, route, status, ms: Math.round(seconds * 1e4) / 10 }, "request");
  };
}

export function observe(deps: Pick<Deps, "logger" | "metrics">) {
  const record = requestRecorder(deps);
  return async function observeRequest(c: Context<AppEnv>, next: Next) {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("logger", deps.logger);
    await next();
    const res = c.res;
    // Set on the finished response's own headers: c.header() now would copy the response into a streamed one.
    if (!stamped.has(res)) res.headers.set("X-Request-Id", requestId);
    const status = res.status;
    // The matched route pattern, not the raw path, keeps label cardinality bounded.
    const route = status === 404 && !c.error ? "unmatched" : routePath(c);
    record(c.req.method, c.req.path, route, status, started, requestId);
  };
}
