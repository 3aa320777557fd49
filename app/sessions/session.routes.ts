/** POST /v1/sessions (log in) and DELETE /v1/sessions/current (log out). */
import { Hono } from "hono";
import { setCookie, deleteCookie } from "hono/cookie";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json-body.ts";
import { AppError, unavailable, writesFrozen } from "../http/problem.ts";
import { isReadOnly } from "../db/errors.ts";
import { credentials } from "../users/user.routes.ts";
import { DUMMY_HASH, verifyPassword } from "../users/password.ts";
import { SESSION_COOKIE, presentedToken } from "./auth.ts";

/** Either way a 503 with Retry-After: the database is read-only (a write freeze), or the store cannot be reached. */
const storeFailure = (err: unknown) => (isReadOnly(err) ? writesFrozen() : unavailable("session store"));

export function sessionRoutes(deps: Pick<Deps, "users" | "sessions">) {
  return new Hono<AppEnv>()
    .post("/", jsonBody(credentials), async (c) => {
      const { username, password } = c.req.valid("json");
      const user = await deps.users.findByUsername(username);
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) throw new AppError(401, "bad-credentials", "unknown username or wrong password");
      let created;
      try {
        created = await deps.sessions.create({ userId: user.id, username: user.username });
      } catch (err) {
        throw storeFailure(err);
      }
      setCookie(c, SESSION_COOKIE, created.token, {
        httpOnly: true,
        sameSite: "Lax",
        path: "/",
        expires: new Date(created.expiresAt),
      });
      return c.json({ token: created.token, expiresAt: new Date(created.expiresAt).toISOString() }, 201);
    })
    .delete("/current", async (c) => {
      const token = presentedToken(c);
      if (token) {
        try {
          await deps.sessions.delete(token);
        } catch (err) {
          throw storeFailure(err);
        }
      }
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    });
}
