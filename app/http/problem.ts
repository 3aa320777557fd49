/** One error type for the whole service, rendered as application/problem+json (RFC 9457) by app.onError. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    /** A short slug, rendered as the problem `type` (`/problems/<code>`). */
    readonly code: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function problem(c: Context, status: ContentfulStatusCode, code: string, detail: string, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  c.header("Content-Type", "application/problem+json");
  return c.body(JSON.stringify({ type: `/problems/${code}`, title: TITLES[status] ?? "Error", status, detail }), status);
}

/** Map anything thrown to a problem; unknown errors become a 500 without internals (they are logged instead). */
export function toProblem(err: unknown): { status: ContentfulStatusCode; code: string; detail: string; headers: Record<string, string>; unexpected: boolean } {
  if (err instanceof AppError) return { status: err.status, code: err.code, detail: err.message, headers: err.headers, unexpected: false };
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? "body-too-large" : status === 400 ? "bad-request" : "http-error";
    const detail = status === 413 ? "the request body is over 16 KiB" : err.message || (TITLES[status] ?? "error");
    return { status, code, detail, headers: {}, unexpected: false };
  }
  return { status: 500, code: "internal", detail: "an unexpected error occurred; it has been logged", headers: {}, unexpected: true };
}

/** How long a client waits before retrying a write the database refused as read-only: a data move takes seconds. */
export const FREEZE_RETRY_AFTER_SECONDS = 5;

/** A write the database refused because it is read-only (a write freeze during a data move). Reads go on. */
export const writesFrozen = () =>
  new AppError(503, "database-read-only", "the database is not taking writes for now (read-only while data moves); reads still work; retry later", {
    "Retry-After": String(FREEZE_RETRY_AFTER_SECONDS),
  });

export const unavailable = (what: string, retryAfterSeconds = 2) =>
  new AppError(503, `${what.replace(/\s+/g, "-")}-unavailable`, `the ${what} is unavailable; retry later`, { "Retry-After": String(retryAfterSeconds) });
