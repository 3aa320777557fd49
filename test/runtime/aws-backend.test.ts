import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { awsBackend } from "../../runtime/aws-backend.ts";
import { resolveEnv } from "../../runtime/resolve.ts";
import { tempDir } from "../support/tmp.ts";

const MASTER = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1";
const TOKEN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cache-auth-1";
const URN = "urn:pulumi:prod::scale-to-millions::scale:aws:Database$aws:rds/instance:Instance::db-primary";

describe("runtime/aws-backend: secrets from Secrets Manager, by ARN", () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());
  after(() => sm.restore());

  it("reads a JSON secret's field and a plain secret, each secret once", async () => {
    sm.on(GetSecretValueCommand, { SecretId: MASTER }).resolves({ SecretString: JSON.stringify({ username: "app_admin", password: "m@ster" }) });
    sm.on(GetSecretValueCommand, { SecretId: TOKEN }).resolves({ SecretString: "redis-token" });
    const backend = awsBackend({ region: "us-east-1", generatedDir: tempDir("aws-backend") });
    const { env, files } = await resolveEnv({
      DATABASE_ADMIN_PASSWORD_FILE: { from: "file", name: "admin", content: { from: "secret", urn: URN, arn: MASTER, field: "password" } },
      ADMIN_USER: { from: "secret", urn: URN, arn: MASTER, field: "username" },
      REDIS_URL: { from: "template", template: "rediss://:{t}@h:6379", parts: { t: { from: "secret", urn: "u", arn: TOKEN } } },
    }, backend, { secretsDir: "/etc/scale-app/secrets" });
    expect(env).to.deep.equal({ DATABASE_ADMIN_PASSWORD_FILE: "/etc/scale-app/secrets/admin", ADMIN_USER: "app_admin", REDIS_URL: "rediss://:redis-token@h:6379" });
    expect(files).to.deep.equal([{ path: "/etc/scale-app/secrets/admin", content: "m@ster" }]);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).to.deep.equal([MASTER, TOKEN]);
  });

  it("says what a missing secret, a missing field or a plan-form value means, never echoing a value", async () => {
    sm.on(GetSecretValueCommand, { SecretId: MASTER }).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    sm.on(GetSecretValueCommand, { SecretId: TOKEN }).resolves({ SecretString: JSON.stringify({ password: "hunter2-secret" }) });
    const backend = awsBackend({ region: "us-east-1" });
    const gone = await backend.secret({ from: "secret", urn: URN, arn: MASTER }).catch((e: Error) => e);
    expect((gone as Error).message).to.equal(`cannot read the secret ${MASTER}: it does not exist (deleted, or another region?)`);
    const field = await backend.secret({ from: "secret", urn: URN, arn: TOKEN, field: "username" }).catch((e: Error) => e);
    expect((field as Error).message).to.equal(`the secret ${TOKEN} has no string field username`);
    expect((field as Error).message).not.to.include("hunter2");
    const noArn = await backend.secret({ from: "secret", urn: URN }).catch((e: Error) => e);
    expect((noArn as Error).message).to.include("has no ARN");
    const output = await backend.output({ from: "output", urn: URN, output: "address" }).catch((e: Error) => e);
    expect((output as Error).message).to.include("plan-form output");
  });

  it("retries a failed read on the next call instead of remembering the failure", async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(Object.assign(new Error("timeout"), { name: "TimeoutError" })).resolves({ SecretString: "ok" });
    const backend = awsBackend({ region: "us-east-1" });
    await backend.secret({ from: "secret", urn: URN, arn: TOKEN }).then(() => expect.fail("no error"), (e: Error) => expect(e.message).to.include("TimeoutError"));
    expect(await backend.secret({ from: "secret", urn: URN, arn: TOKEN })).to.equal("ok");
  });

  it("keeps a generated secret on the server's disk", async () => {
    const dir = tempDir("aws-generated");
    const backend = awsBackend({ region: "us-east-1", generatedDir: dir });
    const first = await backend.generated({ from: "generated", name: "database-password" });
    expect(await awsBackend({ region: "us-east-1", generatedDir: dir }).generated({ from: "generated", name: "database-password" })).to.equal(first);
  });
});
