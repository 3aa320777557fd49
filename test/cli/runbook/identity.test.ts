import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { RDSClient, CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from "@aws-sdk/client-rds";
import { json, scale } from "../run-scale.ts";
import { tempDir } from "../../support/tmp.ts";

describe("scale runbook run: the AWS identity is resolved and shown before anything runs", () => {
  let sts: ReturnType<typeof mockClient>;
  let rds: ReturnType<typeof mockClient>;
  let auditPath: string;
  before(() => {
    sts = mockClient(STSClient) as unknown as ReturnType<typeof mockClient>;
    rds = mockClient(RDSClient) as unknown as ReturnType<typeof mockClient>;
  });
  after(() => [sts, rds].forEach((m) => m.restore()));
  beforeEach(() => {
    [sts, rds].forEach((m) => m.reset());
    auditPath = join(tempDir("scale-identity"), "audit.jsonl");
  });
  const audit = () => (existsSync(auditPath) ? readFileSync(auditPath, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
  const snapshot = ["runbook", "run", "db-snapshot", "-p", "instance=app-db", "-p", "snapshot=s1"];

  it("missing credentials: exit 2 with a hint, before any step or audit record", async () => {
    const noCreds = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    sts.on(GetCallerIdentityCommand).rejects(noCreds);
    const run = await scale([...snapshot, "--audit-log", auditPath]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include("no usable AWS credentials");
    expect(run.stderr + run.message).to.match(/AWS_PROFILE|aws sso login/);
    expect(rds.calls()).to.have.length(0);
    expect(audit().map((e) => e.kind)).not.to.include("runbook.start");
  });

  it("a dry run without credentials goes on and says why there is no account", async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    const run = await scale([...snapshot, "--dry-run", "--audit-log", auditPath]);
    expect(run.exit).to.equal(0);
    expect(run.stderr).to.include("no AWS identity");
  });

  it("--region mars-1 is refused (exit 2) before STS is asked", async () => {
    const run = await scale([...snapshot, "--region", "mars-1", "--audit-log", auditPath]);
    expect(run.exit).to.equal(2);
    expect(run.message).to.include('--region: "mars-1" is not an AWS region');
    expect(sts.calls()).to.have.length(0);
  });

  it("the account, region and stack are in the preview and in the audit record", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012", Arn: "arn:aws:iam::123456789012:user/oncall" });
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [{ Status: "available", PercentProgress: 100 }] });
    const run = await scale([...snapshot, "--json", "--stack", "prod", "--region", "eu-west-1", "--audit-log", auditPath]);
    expect(run.exit, run.stdout).to.equal(0);
    expect(json<{ result: string }>(run).result).to.equal("succeeded");
    expect(run.stderr).to.include("stack prod, region eu-west-1, account 123456789012");
    const start = audit().find((e) => e.kind === "runbook.start");
    expect(start.identity).to.deep.include({ account: "123456789012", region: "eu-west-1", stack: "prod" });
  });
});
