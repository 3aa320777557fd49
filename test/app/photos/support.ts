/** Helpers for the photo tests: an upload through the API and a poll until the photo leaves "pending". */
import { expect } from "chai";
import type { App } from "../../../app/app.ts";

export async function upload(app: App, auth: Record<string, string>, body: Buffer, type: string | null = "image/png", extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...auth, "content-length": String(body.length), ...extra };
  if (type !== null) headers["content-type"] = type;
  return app.request("/v1/photos", { method: "POST", body, headers });
}

interface PhotoBody {
  id: string;
  ownerId: string;
  status: string;
  width: number | null;
  height: number | null;
  thumbnail: { width: number; height: number; url: string } | null;
  error?: string;
}

/** Poll GET /v1/photos/:id until it leaves `pending` (generous: the box is shared). */
export async function settled(app: App, id: string, timeoutMs = 60_000): Promise<PhotoBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.request(`/v1/photos/${id}`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as PhotoBody;
    if (body.status !== "pending") return body;
    if (Date.now() > deadline) throw new Error(`photo ${id} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
