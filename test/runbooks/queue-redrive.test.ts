import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { SQSClient, GetQueueAttributesCommand, StartMessageMoveTaskCommand, ListMessageMoveTasksCommand } from "@aws-sdk/client-sqs";
import { queueRedrive } from "../../runbooks/queue-redrive.ts";
import { runForTest } from "./helpers.ts";

const PARAMS = { "dlq-arn": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq", "dlq-url": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq" };

describe("runbook queue-redrive", () => {
  let sqs: ReturnType<typeof mockClient>;
  before(() => (sqs = mockClient(SQSClient) as unknown as ReturnType<typeof mockClient>));
  after(() => sqs.restore());
  afterEach(() => sqs.reset());

  it("moves the messages back and checks the dead-letter queue is empty", async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: "17" } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: "0" } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "h1" });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ Status: "RUNNING" }] } as never)
      .resolves({ Results: [{ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 17 }] } as never);
    const { report } = await runForTest(queueRedrive, PARAMS);
    expect(report.result, JSON.stringify(report.steps)).to.equal("succeeded");
    expect(report.steps[1]?.outputs.moved).to.equal(17);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).to.deep.equal({ SourceArn: PARAMS["dlq-arn"] });
  });

  it("stops when the messages come back (the cause is not fixed)", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "5" } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "h1" });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: "COMPLETED" }] } as never);
    const { report } = await runForTest(queueRedrive, PARAMS);
    expect(report.failedStep).to.equal("redrive");
    expect(report.steps[1]?.error).to.match(/5 messages are back/);
  });

  it("does nothing when the dead-letter queue is empty", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "0" } });
    const { report } = await runForTest(queueRedrive, PARAMS);
    expect(report.failedStep).to.equal("count");
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).to.have.length(0);
  });
});
