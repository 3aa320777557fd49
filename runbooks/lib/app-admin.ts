/** The app's admin endpoints (docs/app.md): POST /admin/cache/flush and /admin/cache/warm with a bearer token. */
export async function adminPost(appUrl: string, path: string, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(path, appUrl), {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
