/** /v1/items: create, read (cached, ETag), update (owner, If-Match), delete; and the per-user list. */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Deps } from "../wiring.ts";
import type { AppEnv } from "../http/env.ts";
import { jsonBody, describeIssues } from "../http/json-body.ts";
import { AppError } from "../http/problem.ts";
import { requireSession, optionalSession, presentedToken, readOptionalSession, SESSION_COOKIE } from "../sessions/auth.ts";
import { stampedResponse } from "../http/observe.ts";
import type { HeaderOf, MemoryRead } from "../http/front.ts";
import { archivedMonthOf } from "../archive/archived-months.ts";
import type { ItemService } from "./item.service.ts";

export const MAX_CONTENT_BYTES = 1024;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// With the u flag, a surrogate matches only when unpaired.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const contentBody = z.object({ content: z.string() });

/** Byte limit and Unicode check after the type check: over-long is 413, a lone surrogate 400 (the contract's split). */
function checkContent(content: string): string {
  if (LONE_SURROGATE.test(content)) throw new AppError(400, "invalid-content", "content is not valid Unicode (it holds a lone surrogate)");
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > MAX_CONTENT_BYTES) throw new AppError(413, "content-too-large", `content is ${bytes} bytes of UTF-8; the limit is ${MAX_CONTENT_BYTES}`);
  return content;
}

/** Unknown-format ids are answered 404 without touching the database. */
function checkId(id: string): string {
  if (!ID.test(id)) throw new AppError(404, "not-found", `no item with id ${JSON.stringify(id.slice(0, 64))}`);
  return id;
}

/** If-Match: `"<version>"` or `*`; anything else cannot match, so it is a 412. */
function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined || header.trim() === "*") return null;
  const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!m) throw new AppError(412, "version-mismatch", `If-Match must be "<version>" as sent in ETag, got ${JSON.stringify(header.slice(0, 64))}`);
  return Number(m[1]);
}

const etagOf = (version: number) => `"${version}"`;

/** If-None-Match: a list of (weak or strong) tags, or `*`. */
const matchesEtag = (header: string, etag: string) => header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*");

function itemResponse(item: { version: number; json: string }, cache: string, ifNoneMatch: string | undefined, requestId: string): Response {
  const etag = etagOf(item.version);
  if (ifNoneMatch && matchesEtag(ifNoneMatch, etag)) return stampedResponse(requestId, null, 304, { ETag: etag, "X-Cache": cache });
  return stampedResponse(requestId, item.json, 200, { "Content-Type": "application/json", ETag: etag, "X-Cache": cache });
}

const answer = (c: Context<AppEnv>, item: { version: number; json: string }, cache: string) =>
  itemResponse(item, cache, c.req.header("if-none-match"), c.get("requestId"));

/** A request that may carry a session (a bearer token, or a cookie that may be the session's) is read with it. */
const mayHaveSession = (header: HeaderOf) => header("authorization") !== undefined || (header("cookie")?.includes(`${SESSION_COOKIE}=`) ?? false);

/**
 * The anonymous read of an item memory holds, answered before routing (http/front.ts): the same response the GET
 * route gives it. Anything else (a session, an unknown id format, an item memory does not hold) is routed.
 */
export function itemMemoryRead(service: Pick<ItemService, "peek">): MemoryRead {
  return {
    route: "/v1/items/:id",
    prefix: "/v1/items/",
    answer(id, header, requestId, mayAnswer) {
      if (!ID.test(id) || mayHaveSession(header)) return undefined;
      const known = service.peek(id, mayAnswer);
      return known ? itemResponse(known.item, known.cache, header("if-none-match"), requestId) : undefined;
    },
  };
}

export function itemRoutes(deps: Deps, service: ItemService) {
  const auth = requireSession(deps.sessions);
  const readItem = async (c: Context<AppEnv>, id: string) => {
    const session = await readOptionalSession(deps.sessions, c);
    const { item, cache } = await service.read(id, { session });
    if (!item) {
      const month = await archivedMonthOf(deps.archived, id);
      if (month) throw new AppError(410, "archived", `items from ${month} moved to the archive (the data warehouse); the service no longer serves them`);
      throw new AppError(404, "not-found", `no item with id ${id}`, { "X-Cache": cache });
    }
    return answer(c, item, cache);
  };
  return new Hono<AppEnv>()
    .post("/", auth, jsonBody(contentBody), async (c) => {
      const content = checkContent(c.req.valid("json").content);
      const key = c.req.header("idempotency-key");
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new AppError(400, "invalid-idempotency-key", "Idempotency-Key must be 1-255 visible ASCII characters");
      }
      const { item, replayed } = await service.create(c.get("session")!, content, key);
      if (replayed) c.header("Idempotent-Replayed", "true");
      c.header("ETag", etagOf(item.version));
      c.header("Location", `/v1/items/${item.id}`);
      return c.json(item, 201);
    })
    // The read: the session read inline rather than as a middleware layer, the headers passed in one object with
    // the body (see stampedResponse), and the 410 check of the archive only on a miss. Anonymous reads memory can
    // answer are mostly answered before routing (itemMemoryRead); here they return without a promise.
    .get("/:id", (c) => {
      const id = checkId((c.req.param("id") ?? ""));
      if (!presentedToken(c)) {
        const known = service.peek(id);
        if (known) return answer(c, known.item, known.cache);
      }
      return readItem(c, id);
    })
    .put("/:id", auth, jsonBody(contentBody), async (c) => {
      const id = checkId((c.req.param("id") ?? ""));
      const content = checkContent(c.req.valid("json").content);
      const item = await service.update(c.get("session")!, id, content, parseIfMatch(c.req.header("if-match")));
      c.header("ETag", etagOf(item.version));
      return c.json(item, 200);
    })
    .delete("/:id", auth, async (c) => {
      await service.remove(c.get("session")!, checkId((c.req.param("id") ?? "")));
      return c.body(null, 204);
    });
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

export function userItemRoutes(deps: Deps, service: ItemService) {
  return new Hono<AppEnv>().get("/:id/items", optionalSession(deps.sessions), async (c) => {
    const parsed = listQuery.safeParse({ limit: c.req.query("limit") || undefined, cursor: c.req.query("cursor") });
    if (!parsed.success) throw new AppError(400, "invalid-query", `${describeIssues(parsed.error)} (limit is 1-100)`);
    const { limit, cursor } = parsed.data;
    let afterId: string | null = null;
    if (cursor !== undefined) {
      afterId = Buffer.from(cursor, "base64url").toString("utf8");
      if (!ID.test(afterId)) throw new AppError(400, "invalid-cursor", "cursor is not one this service issued; start again without it");
    }
    const ownerId = (c.req.param("id") ?? "");
    if (!ID.test(ownerId)) return c.json({ items: [], nextCursor: null });
    const page = await service.list(ownerId, { limit, afterId }, { session: c.get("session") ?? null });
    const nextCursor = page.nextCursor ? Buffer.from(page.nextCursor, "utf8").toString("base64url") : null;
    return c.json({ items: page.items, nextCursor });
  });
}
