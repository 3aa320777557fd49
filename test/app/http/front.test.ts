/**
 * Which requests the front answers from memory before routing, and which it must route: anything that may carry a
 * session (read-your-writes is decided by the routed read), any other method or path, a malformed id, and anything
 * memory does not hold. What it answers is recorded once, under the route's own name.
 */
import { expect } from "chai";
import { answerFromMemoryFirst, type AdmitHere } from "../../../app/http/front.ts";
import { itemMemoryRead } from "../../../app/items/item.routes.ts";
import type { ReadResult } from "../../../app/items/item-reader.ts";

const ID = "0190abcd-0000-7000-8000-00000000beef";
const held: ReadResult = { item: { version: 3, json: `{"id":"${ID}","version":3}` }, cache: "l1" };

function front(memory: Map<string, ReadResult>, admit?: AdmitHere) {
  const routed: string[] = [];
  const recorded: Array<{ method: string; path: string; route: string; status: number; requestId: string }> = [];
  const fetch = answerFromMemoryFirst(
    (req: Request) => {
      routed.push(`${req.method} ${new URL(req.url).pathname}`);
      return new Response("routed", { status: 299 });
    },
    // As the item reader's peek: only an item memory holds, and only if mayAnswer agrees (asked only then).
    itemMemoryRead({ peek: (id, mayAnswer) => { const r = memory.get(id); return r?.item && (!mayAnswer || mayAnswer()) ? { ...r, item: r.item } : undefined; } }),
    (method, path, route, status, _started, requestId) => recorded.push({ method, path, route, status, requestId }),
    admit,
  );
  const send = (path: string, init?: RequestInit) => fetch(new Request(`http://localhost${path}`, init)) as Response;
  /** As @hono/node-server calls it: the raw request beside the Request, which the front reads instead. */
  const sendRaw = (url: string, headers: Record<string, string>) =>
    fetch(new Request(`http://localhost/elsewhere`), { incoming: { url, headers }, outgoing: {} }) as Response;
  return { send, sendRaw, routed, recorded };
}

describe("the front: reads answered from memory before routing", () => {
  it("answers an anonymous GET of a held item, with the route's headers, and records it once under its route", async () => {
    const f = front(new Map([[ID, held]]));
    const res = f.send(`/v1/items/${ID}?fields=all`, { headers: { "x-request-id": "trace-1" } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal(held.item!.json);
    expect(Object.fromEntries(res.headers)).to.include({ "content-type": "application/json", etag: '"3"', "x-cache": "l1", "x-request-id": "trace-1" });
    const revalidated = f.send(`/v1/items/${ID}`, { headers: { "if-none-match": 'W/"3"' } });
    expect(revalidated.status).to.equal(304);
    expect(revalidated.headers.get("x-request-id")).to.match(/^[\w-]{8}-[0-9a-z]+$/);
    expect(f.routed).to.deep.equal([]);
    expect(f.recorded).to.deep.equal([
      { method: "GET", path: `/v1/items/${ID}`, route: "/v1/items/:id", status: 200, requestId: "trace-1" },
      { method: "GET", path: `/v1/items/${ID}`, route: "/v1/items/:id", status: 304, requestId: revalidated.headers.get("x-request-id") },
    ]);
  });

  it("routes whatever may carry a session, other methods and paths, malformed ids, and what memory does not hold", () => {
    const absent = "01900000-0000-7000-8000-00000000abcd";
    const f = front(new Map([[ID, held], [absent, { item: null, cache: "hit" }]]));
    const cases: Array<[string, RequestInit | undefined]> = [
      [`/v1/items/${ID}`, { headers: { authorization: "Bearer abc" } }],
      [`/v1/items/${ID}`, { headers: { cookie: "theme=dark; sid=abc" } }],
      [`/v1/items/${ID}`, { method: "HEAD" }],
      [`/v1/items/${ID}`, { method: "DELETE" }],
      [`/v1/items/${ID}/`, undefined],
      [`/v1/items/${ID.toUpperCase()}`, undefined],
      [`/v1/items/01900000-0000-7000-8000-000000000001`, undefined],
      [`/v1/items/${absent}`, undefined],
      [`/v1/users/${ID}/items`, undefined],
      ["/healthz", undefined],
    ];
    for (const [path, init] of cases) expect(f.send(path, init).status, `${init?.method ?? "GET"} ${path} ${JSON.stringify(init?.headers ?? {})}`).to.equal(299);
    expect(f.routed).to.have.length(cases.length);
    expect(f.recorded).to.deep.equal([]);
    // A cookie that is not the session's does not stop the answer.
    expect(f.send(`/v1/items/${ID}`, { headers: { cookie: "theme=dark" } }).status).to.equal(200);
  });

  it("under the node server reads the raw request's path and headers", () => {
    const f = front(new Map([[ID, held]]));
    expect(f.sendRaw(`/v1/items/${ID}?q=1`, { "x-request-id": "raw-1" }).headers.get("x-request-id")).to.equal("raw-1");
    expect(f.sendRaw(`/v1/items/${ID}`, { authorization: "Bearer abc" }).status).to.equal(299);
    expect(f.sendRaw(`/v1/items/${ID}`, { cookie: "sid=abc" }).status).to.equal(299);
    expect(f.recorded.map((r) => r.path)).to.deep.equal([`/v1/items/${ID}`]);
  });

  it("with a limiter, answers only what the limiter admits here, and asks it only about what memory holds", () => {
    const asked: Array<string | undefined> = [];
    let verdict = true;
    const f = front(new Map([[ID, held]]), (header, peer) => {
      asked.push(`${header("x-forwarded-for")} ${peer()}`);
      return verdict;
    });
    expect(f.send(`/v1/items/${ID}`, { headers: { "x-forwarded-for": "203.0.113.9" } }).status).to.equal(200);
    verdict = false;
    expect(f.send(`/v1/items/${ID}`, { headers: { "x-forwarded-for": "203.0.113.9" } }).status).to.equal(299);
    expect(f.send(`/v1/items/01900000-0000-7000-8000-000000000001`).status).to.equal(299);
    expect(f.sendRaw(`/v1/items/${ID}`, {}).status).to.equal(299);
    expect(asked).to.deep.equal(["203.0.113.9 undefined", "203.0.113.9 undefined", "undefined undefined"]);
    expect(f.routed).to.have.length(3);
  });
});
