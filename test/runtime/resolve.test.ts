import { expect } from "chai";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { envFileText, resolveEnv, writeResolved, type RuntimeBackend } from "../../runtime/resolve.ts";
import { generatedSecret } from "../../runtime/generated.ts";
import { parseTierRuntime, urnName, urnType, type RuntimeValue } from "../../runtime/sources.ts";
import { tempDir } from "../support/tmp.ts";

const DB = "urn:pulumi:prod::scale-to-millions::scale:aws:Database$aws:rds/instance:Instance::db-primary";
const AUTH = "urn:pulumi:prod::scale-to-millions::scale:aws:Cache$aws:secretsmanager/secret:Secret::cache-auth";

// A backend from fixed maps, as a local engine's would be: outputs and secrets by URN.
function mapBackend(outputs: Record<string, string>, secrets: Record<string, string>): RuntimeBackend & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    output: async (v) => { asked.push(`output ${v.output}`); const r = outputs[`${v.urn} ${v.output}`]; if (r === undefined) throw new Error(`no ${v.output}`); return r; },
    secret: async (v) => { asked.push(`secret ${v.field ?? ""}`); const r = secrets[`${v.urn}${v.field ? ` ${v.field}` : ""}`]; if (r === undefined) throw new Error("no such secret"); return r; },
    generated: async (v) => `generated-${v.name}`,
  };
}

describe("runtime/resolve: a tier's runtime into a plain environment", () => {
  const backend = () => mapBackend({ [`${DB} address`]: "db.internal", [`${DB} port`]: "3306", [`${AUTH} x`]: "" }, { [AUTH]: "to#k:en/1", [`${DB} password`]: "pw" });

  it("fills templates with percent-encoded parts, so a token with # or : keeps the URL whole", async () => {
    const env: Record<string, RuntimeValue> = {
      HOST: "0.0.0.0",
      REDIS_URL: { from: "template", template: "rediss://:{token}@{host}:{port}", parts: { token: { from: "secret", urn: AUTH }, host: { from: "output", urn: DB, output: "address" }, port: { from: "output", urn: DB, output: "port" } } },
    };
    const { env: out, files } = await resolveEnv(env, backend(), { secretsDir: "/s" });
    expect(out).to.deep.equal({ HOST: "0.0.0.0", REDIS_URL: "rediss://:to%23k%3Aen%2F1@db.internal:3306" });
    expect(new URL(out.REDIS_URL!).password).to.equal("to%23k%3Aen%2F1");
    expect(files).to.deep.equal([]);
  });

  it("delivers a file value as a path, its content among the files to write, once even if two settings name it", async () => {
    const file: RuntimeValue = { from: "file", name: "database-password", content: { from: "secret", urn: DB, field: "password" } };
    const { env, files } = await resolveEnv({ A_FILE: file, B_FILE: file, G: { from: "generated", name: "x" } }, backend(), { secretsDir: "/etc/s" });
    expect(env).to.deep.equal({ A_FILE: "/etc/s/database-password", B_FILE: "/etc/s/database-password", G: "generated-x" });
    expect(files).to.deep.equal([{ path: "/etc/s/database-password", content: "pw" }]);
  });

  it("names the setting it cannot resolve, and a template part that is missing or unused", async () => {
    const missing = await resolveEnv({ DATABASE_URL: { from: "output", urn: DB, output: "endpoint" } }, backend(), { secretsDir: "/s" }).catch((e: Error) => e);
    expect((missing as Error).message).to.equal("cannot resolve DATABASE_URL: no endpoint");
    const hole = await resolveEnv({ X: { from: "template", template: "a{b}", parts: {} } }, backend(), { secretsDir: "/s" }).catch((e: Error) => e);
    expect((hole as Error).message).to.include("has no part b");
    const extra = await resolveEnv({ X: { from: "template", template: "a", parts: { b: "c" } } }, backend(), { secretsDir: "/s" }).catch((e: Error) => e);
    expect((extra as Error).message).to.include("has no place for b");
  });

  it("writes the environment file (0600) and the secret files (0400), quoting what systemd would misread", async () => {
    const dir = tempDir("resolve");
    await writeResolved({ env: { A: 'say "hi" \\ $HOME', B: "1" }, files: [{ path: join(dir, "secrets", "p"), content: "pw" }] }, { envFile: join(dir, "env") });
    expect(await readFile(join(dir, "env"), "utf8")).to.equal('A="say \\"hi\\" \\\\ $HOME"\nB="1"\n');
    expect((await stat(join(dir, "env"))).mode & 0o777).to.equal(0o600);
    expect((await stat(join(dir, "secrets", "p"))).mode & 0o777).to.equal(0o400);
    expect(await readFile(join(dir, "secrets", "p"), "utf8")).to.equal("pw");
    // A second write replaces a 0400 file (rename, not open-for-write).
    await writeResolved({ env: {}, files: [{ path: join(dir, "secrets", "p"), content: "rotated" }] }, { envFile: join(dir, "env") });
    expect(await readFile(join(dir, "secrets", "p"), "utf8")).to.equal("rotated");
    expect(() => envFileText({ X: "a\nb" })).to.throw("X holds a line break");
  });

  it("makes a generated secret once and returns the same one afterwards", async () => {
    const dir = tempDir("generated");
    const [a, b] = await Promise.all([generatedSecret(dir, "database-password"), generatedSecret(dir, "database-password")]);
    expect(a).to.equal(b);
    expect(a).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(await generatedSecret(dir, "database-password")).to.equal(a);
    expect((await stat(join(dir, "database-password"))).mode & 0o777).to.equal(0o400);
    await generatedSecret(dir, "../etc/passwd").then(() => expect.fail("accepted a path"), (e: Error) => expect(e.message).to.include("plain file name"));
  });

  it("parses a runtime document and names the first bad field", () => {
    const doc = { tier: "write", env: { HOST: "0.0.0.0", X_FILE: { from: "file", name: "x", content: { from: "secret", urn: AUTH, arn: "arn:aws:secretsmanager:us-east-1:1:secret:x" } } }, migrate: {} };
    expect(parseTierRuntime(JSON.stringify(doc))).to.deep.equal(doc);
    expect(() => parseTierRuntime(JSON.stringify({ ...doc, tier: "web" }))).to.throw(/invalid at tier/);
    expect(() => parseTierRuntime(JSON.stringify({ ...doc, env: { host: "x" } }))).to.throw(/invalid at env/);
    expect(() => parseTierRuntime(JSON.stringify({ ...doc, env: { X: { from: "secret", urn: AUTH, value: "leak" } } }))).to.throw(/invalid at env.X/);
    expect(() => parseTierRuntime("{")).to.throw(/not JSON/);
  });

  it("reads a URN's resource type and name, which the local stages map to their stand-ins", () => {
    expect(urnType(DB)).to.equal("aws:rds/instance:Instance");
    expect(urnName(DB)).to.equal("db-primary");
    expect(() => urnType("db-primary")).to.throw("not a Pulumi URN");
  });
});
