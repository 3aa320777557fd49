/** The app's admin endpoints (docs/app.md): POST /admin/cache/flush and /admin/cache/warm with a bearer token. */

/**
 * fetch() with a failure that says which URL did not answer and why: undici's own message is only
 * "fetch failed", with the reason (ECONNREFUSED, ENOTFOUND, a certificate) hidden in `cause`.
 */
export async function fetchOrSay(url: URL | string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? "no answer before the timeout" : (e.cause?.code ?? e.cause?.message ?? e.message);
    const target = new URL(url);
    throw new Error(`cannot reach ${target.origin} (${why}): check the URL and that the app is up`);
  }
}

export async function adminPost(appUrl: string, path: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetchOrSay(new URL(path, appUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
