/** POST /v1/users: sign up. */
import { Hono } from "hono";
import { z } from "zod";
import { v7 as uuidv7 } from "uuid";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody } from "../http/json-body.ts";
import { AppError } from "../http/problem.ts";
import { hashPassword } from "./password.ts";

export const credentials = z.object({
  username: z.string().regex(/^[a-z0-9_-]{3,32}$/, "must be 3-32 characters of a-z, 0-9, _ and -"),
  password: z.string().min(8, "must be at least 8 characters").max(128, "must be at most 128 characters"),
});

export function userRoutes(deps: Pick<Deps, "users">) {
  return new Hono<AppEnv>().post("/", jsonBody(credentials), async (c) => {
    const { username, password } = c.req.valid("json");
    const user = await deps.users.create({ id: uuidv7(), username, passwordHash: await hashPassword(password) });
    if (!user) throw new AppError(409, "username-taken", `the username "${username}" is taken; choose another`);
    return c.json({ id: user.id, username: user.username }, 201);
  });
}
