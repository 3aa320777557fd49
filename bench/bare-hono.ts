/** The baseline: a bare Hono handler answering GET /v1/items/:id with a fixed JSON body the size of a real item. */
import { Hono } from "hono";
import { serve } from "@hono/node-server";

const body = process.env.BODY ?? "{}";
const port = Number(process.env.PORT ?? 0);
const app = new Hono().get("/v1/items/:id", (c) => c.body(body, 200, { "content-type": "application/json" }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`));
process.on("SIGTERM", () => process.exit(0));
