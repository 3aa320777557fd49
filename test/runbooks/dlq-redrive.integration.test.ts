/**
 * dlq-redrive against a real SQS-protocol server (fauxqs). The runbook's client goes where the queue URL points,
 * sqs.us-east-1.localhost:<port>; fauxqs's interceptLocalhostDns resolves that name to 127.0.0.1 in this process.
 */
import { expect } from "chai";
import { interceptLocalhostDns } from "fauxqs";
import { SendMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { dlqRedrive } from "../../runbooks/dlq-redrive.ts";
import { resolveParams, ParamError } from "../../runbooks/lib/run.ts";
import { startLocalSqs, type LocalSqs } from "../support/aws-servers.ts";
import { runForTest } from "./helpers.ts";

describe("runbook dlq-redrive (fauxqs)", function () {
  this.timeout(60_000);
  let sqs: LocalSqs;
  let restoreDns: () => void;
  before(() => (restoreDns = interceptLocalhostDns()));
  after(() => restoreDns());
  beforeEach(async () => {
    sqs = await startLocalSqs();
    const client = sqs.client();
    for (let i = 0; i < 13; i++) await client.send(new SendMessageCommand({ QueueUrl: sqs.dlqUrl, MessageBody: JSON.stringify({ photoId: `p${i}`, sha256: "ab" }) }));
    client.destroy();
  });
  afterEach(async () => {
    await sqs.stop();
  });
  const params = (extra: Record<string, string>) => ({ "dlq-url": sqs.dlqUrl, "queue-url": sqs.queueUrl, ...extra });

  it("inspect counts and shows messages and changes nothing", async () => {
    const { report } = await runForTest(dlqRedrive, params({}));
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[0]!.outputs.messages).to.equal(13);
    expect(report.steps[0]!.outputs.sample).to.have.length.greaterThan(0);
    expect(report.steps.slice(1).map((s) => s.outputs.skipped)).to.deep.equal(["action is inspect", "action is inspect"]);
    expect((await sqs.count("dlq")).visible).to.equal(13);
  });

  it("redrive moves every message to the job queue, bodies intact", async () => {
    const { report } = await runForTest(dlqRedrive, params({ action: "redrive" }));
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[1]!.outputs).to.deep.include({ moved: 13, left: 0 });
    expect(await sqs.count("dlq")).to.deep.equal({ visible: 0, inFlight: 0 });
    expect((await sqs.count("jobs")).visible).to.equal(13);
    const client = sqs.client();
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10 }));
    client.destroy();
    expect(got.Messages!.map((m) => (JSON.parse(m.Body!) as { photoId: string }).photoId)).to.satisfy((ids: string[]) => ids.every((id) => /^p\d+$/.test(id)));
  });

  it("drop deletes at most `max` messages and records each id and body in the audit log", async () => {
    const { report, audit } = await runForTest(dlqRedrive, params({ action: "drop", max: "5" }));
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[2]!.outputs).to.deep.include({ dropped: 5, left: 8 });
    const recorded = JSON.stringify(audit);
    expect((recorded.match(/\\"photoId\\":\\"p\d+\\"/g) ?? []).length).to.be.at.least(5);
    expect((await sqs.count("dlq")).visible).to.equal(8);
    expect((await sqs.count("jobs")).visible).to.equal(0);
  });

  it("a dry run moves nothing", async () => {
    const { report } = await runForTest(dlqRedrive, params({ action: "redrive" }), { dryRun: true });
    expect(report.result).to.equal("planned");
    expect((await sqs.count("dlq")).visible).to.equal(13);
  });

  it("redrive without the job queue's URL is a usage error", () => {
    expect(() => resolveParams(dlqRedrive, { "dlq-url": sqs.dlqUrl, action: "redrive" })).to.throw(ParamError, /redrive needs --param queue-url/);
  });
});
