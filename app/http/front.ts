/**
 * The service's entry in front of Hono's routing. Most traffic is one request shape: an anonymous GET of an item this
 * process holds in memory. Routing it through the middleware chain makes that answer asynchronous (Hono composes
 * middleware with promises, and @hono/node-server then awaits the response and watches the socket for it), which cost
 * a third of the service's CPU per read. Here such a read is answered synchronously, with the same headers, request
 * id, metrics series and log line as a routed one; everything else, and any read memory cannot answer, is routed.
 */
import type { IncomingMessage } from "node:http";
import { requestIdFrom, type RecordRequest } from "./observe.ts";

/** A request header by its lower-case name. */
export type HeaderOf = (name: string) => string | undefined;

export interface MemoryRead {
  /** The route pattern the read is counted under, as routing would name it. */
  route: string;
  /** The path prefix it answers under; the rest of the path (the query string removed) is handed to answer(). */
  prefix: string;
  /**
   * The response memory can give at once, or undefined to route the request. `mayAnswer`, when given, is asked once
   * memory holds the answer, and has the last word.
   */
  answer(rest: string, header: HeaderOf, requestId: string, mayAnswer?: () => boolean): Response | undefined;
}

/** Hono's fetch: the execution context is only passed along. */
type Fetch<X> = (request: Request, env?: unknown, executionCtx?: X) => Response | Promise<Response>;

/**
 * Whether the request may be answered here: with a per-client limiter, true only when the limiter counted it in
 * memory; otherwise the request is routed, and the limiter's layer counts it there.
 */
export type AdmitHere = (header: HeaderOf, peer: () => string | undefined) => boolean;

export function answerFromMemoryFirst<X>(routed: Fetch<X>, read: MemoryRead, record: RecordRequest, admit?: AdmitHere): Fetch<X> {
  const { prefix, route } = read;
  return (request, env, executionCtx) => {
    if (request.method !== "GET") return routed(request, env, executionCtx);
    // Under @hono/node-server the raw request is at hand: its path and headers cost nothing to read, where the
    // Request's would be built first. In-process requests (app.request) have only the Request.
    const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const target = incoming?.url ?? pathOf(request.url);
    if (!target.startsWith(prefix)) return routed(request, env, executionCtx);
    const started = performance.now();
    const header: HeaderOf = incoming
      ? (name) => incoming.headers[name] as string | undefined
      : (name) => request.headers.get(name) ?? undefined;
    const query = target.indexOf("?");
    const path = query < 0 ? target : target.slice(0, query);
    const requestId = requestIdFrom(header("x-request-id"));
    const mayAnswer = admit && (() => admit(header, () => incoming?.socket?.remoteAddress));
    const res = read.answer(path.slice(prefix.length), header, requestId, mayAnswer);
    if (!res) return routed(request, env, executionCtx);
    record("GET", path, route, res.status, started, requestId);
    return res;
  };
}

/** "/a/b?c" from "http://host/a/b?c". */
function pathOf(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}
