/** createApp(deps): the Hono app. Features are sub-apps; every error leaves through onError as problem+json. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { Deps } from "./wiring.ts";
import type { AppEnv } from "./http/env.ts";
import { observe, requestLog, requestRecorder } from "./http/observe.ts";
import { answerFromMemoryFirst, type HeaderOf } from "./http/front.ts";
import { clientAddressOf, rateLimit } from "./http/rate-limit.ts";
import { AppError, problem, toProblem } from "./http/problem.ts";
import { userRoutes } from "./users/user.routes.ts";
import { sessionRoutes } from "./sessions/session.routes.ts";
import { itemMemoryRead, itemRoutes, userItemRoutes } from "./items/item.routes.ts";
import { createItemService } from "./items/item.service.ts";
import { healthRoutes } from "./health/health.routes.ts";
import { adminRoutes } from "./cache/admin.routes.ts";
import { photoRoutes, PHOTO_UPLOAD_PATH } from "./photos/photo.routes.ts";

export const MAX_BODY_BYTES = 16 * 1024;

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  app.use(observe(deps));
  // The method check acts only where no route answered: it runs in notFound, not as a layer every request passes.
  const notAllowed = methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      problem(c, 405, "method-not-allowed", `${c.req.method} is not allowed here; use ${methods.join(", ")}`, { Allow: methods.join(", ") }),
  });
  // Refused from Content-Length (or while streaming) before anything parses the body.
  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new AppError(413, "body-too-large", `the request body is over ${MAX_BODY_BYTES} bytes`); } });
  app.use(function checkBody(c, next) {
    const method = c.req.method;
    // GET/HEAD carry no body here; skipping them spares the read path from materialising the Request object.
    // A photo streams to the object store under its own 10 MiB limit, counted as it arrives.
    if (method === "GET" || method === "HEAD" || (method === "POST" && c.req.path === PHOTO_UPLOAD_PATH)) return next();
    return limitBody(c, next);
  });
  // Before the limiter and the handlers: a refusal must cost less than the work it sheds.
  if (deps.config.ADMISSION_MAX_IN_FLIGHT > 0 || deps.config.ADMISSION_MAX_LAG_MS > 0) app.use("/v1/*", deps.admission.middleware);
  if (deps.limiter) {
    const limiter = rateLimit(deps.limiter, { trustedHops: deps.config.TRUST_PROXY });
    app.use("/v1/*", limiter);
    app.use("/admin/*", limiter);
  }

  // One item service for both route groups: one reader, so one single-flight map, one set of floors, one L1 listener.
  const items = createItemService(deps);
  app.route("/", healthRoutes(deps));
  app.route("/v1/users", userRoutes(deps));
  app.route("/v1/users", userItemRoutes(deps, items));
  app.route("/v1/sessions", sessionRoutes(deps));
  app.route("/v1/items", itemRoutes(deps, items));
  const { photos, blobs, relay } = deps.photos;
  const limits = { uploadsPerMinute: deps.config.PHOTO_UPLOADS_PER_MINUTE, maxPixels: deps.config.PHOTO_MAX_PIXELS };
  app.route(PHOTO_UPLOAD_PATH, photoRoutes({ sessions: deps.sessions, photos, blobs, relay, limits }));
  if (deps.config.ADMIN_TOKEN) app.route("/admin", adminRoutes(deps, deps.config.ADMIN_TOKEN));

  app.notFound(async (c) => {
    await notAllowed(c, async () => {
      c.res = problem(c, 404, "not-found", `no route for ${c.req.method} ${c.req.path}`);
    });
    return c.res;
  });
  app.onError((err, c) => {
    const p = toProblem(err);
    // observe() sets the logger first; an error before it (none today) falls back to the service logger.
    const log = c.get("logger") ? requestLog(c) : deps.logger;
    if (p.unexpected) log.error({ err }, "unhandled error");
    else if (p.status >= 500) log.warn({ code: p.code }, p.detail);
    return problem(c, p.status, p.code, p.detail, p.headers);
  });
  // With a per-client limiter a read is answered here only when the limiter can count it in memory.
  const { limiter } = deps;
  const hops = deps.config.TRUST_PROXY;
  const admit = limiter ? (header: HeaderOf, peer: () => string | undefined) => limiter.admit(clientAddressOf(header("x-forwarded-for"), peer, hops)) === true : undefined;
  app.fetch = answerFromMemoryFirst(app.fetch, itemMemoryRead(items), requestRecorder(deps), admit);
  return app;
}

export type App = ReturnType<typeof createApp>;
