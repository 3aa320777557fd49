/**
 * "Is the endpoint serving?": ready, a log-in, a write and the read of it, through the front door, as a client would.
 * The probe's account (`local-probe`) is made on first use; its password is a secret of DIR. A 503 (a switch in
 * progress, a write freeze) is waited out for a while; anything else fails at once.
 */
import { join } from "node:path";
import { generatedSecret } from "../runtime/generated.ts";
import { HEALTH_CHECK_PATH } from "../runtime/servers.ts";

const USER = "local-probe";
const PATIENCE_MS = 30_000;

export async function checkServing(endpoint: string, secretsDir: string): Promise<void> {
  const password = await generatedSecret(join(secretsDir, "local"), "probe-password");
  const deadline = Date.now() + PATIENCE_MS;
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Response> => {
    for (;;) {
      const res = await fetch(`${endpoint}${path}`, {
        method, signal: AbortSignal.timeout(10_000),
        headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status !== 503 || Date.now() > deadline) return res;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const expect = async (res: Response, statuses: number[], what: string) => {
    if (!statuses.includes(res.status)) throw new Error(`${what} through ${endpoint} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res;
  };
  await (await expect(await call("GET", HEALTH_CHECK_PATH), [200], "the readiness check")).arrayBuffer();
  await (await expect(await call("POST", "/v1/users", { username: USER, password }), [201, 409], "sign-up")).arrayBuffer();
  const { token } = (await (await expect(await call("POST", "/v1/sessions", { username: USER, password }), [201], "log-in")).json()) as { token: string };
  const content = `probe ${new Date().toISOString()}`;
  const item = (await (await expect(await call("POST", "/v1/items", { content }, token), [201], "a write")).json()) as { id: string };
  const read = (await (await expect(await call("GET", `/v1/items/${item.id}`, undefined, token), [200], "a read")).json()) as { content: string };
  if (read.content !== content) throw new Error(`a read through ${endpoint} returned other content than was written`);
}
