/**
 * Admission control: under overload the service answers what it can serve in time and refuses the rest at once with
 * 503 and Retry-After, instead of queueing every request until clients time out. A request is refused while this
 * process already has `maxInFlight` requests in its handlers (awaiting the cache or the database), or while the event
 * loop runs more than `maxLagMs` late (it is already behind on the requests it holds). Health checks and metrics are
 * never behind it: the middleware is mounted on the API's paths only.
 */
import type { Context, Next } from "hono";
import type { AppEnv } from "./env.ts";
import { problem } from "./problem.ts";

export interface AdmissionOptions {
  /** 0: no limit on requests in flight. */
  maxInFlight: number;
  /** 0: the event loop's delay is not looked at. */
  maxLagMs: number;
  retryAfterSeconds: number;
}

/** How often the event loop's delay is sampled; a timer due every SAMPLE_MS that fires late by d ms means a lag of d. */
const SAMPLE_MS = 20;
/**
 * The lag compared with the limit is smoothed (each sample weighs this much): one long pause (a GC, a CPU-starved
 * moment on a shared host) must not refuse requests; a loop that stays behind does.
 */
const SAMPLE_WEIGHT = 0.3;

export interface Admission {
  middleware: (c: Context<AppEnv>, next: Next) => Promise<Response | void>;
  /** The smoothed event-loop lag (ms) and the requests in flight. */
  state(): { lagMs: number; inFlight: number };
  stop(): void;
}

export function createAdmission(opts: AdmissionOptions): Admission {
  let inFlight = 0;
  let lagMs = 0;
  let timer: NodeJS.Timeout | undefined;
  if (opts.maxLagMs > 0) {
    let expected = performance.now() + SAMPLE_MS;
    timer = setInterval(() => {
      const now = performance.now();
      lagMs = (1 - SAMPLE_WEIGHT) * lagMs + SAMPLE_WEIGHT * Math.max(0, now - expected);
      expected = now + SAMPLE_MS;
    }, SAMPLE_MS).unref();
  }
  const retryAfter = String(opts.retryAfterSeconds);
  const refuse = (c: Context<AppEnv>, why: string) =>
    problem(c, 503, "overloaded", `the service is at capacity (${why}); retry after ${retryAfter} s`, { "Retry-After": retryAfter });

  return {
    async middleware(c, next) {
      if (opts.maxInFlight > 0 && inFlight >= opts.maxInFlight) return refuse(c, `${inFlight} requests in progress`);
      if (opts.maxLagMs > 0 && lagMs > opts.maxLagMs) return refuse(c, `event loop ${Math.round(lagMs)} ms behind`);
      inFlight++;
      try {
        await next();
      } finally {
        inFlight--;
      }
    },
    state: () => ({ lagMs, inFlight }),
    stop: () => clearInterval(timer),
  };
}
