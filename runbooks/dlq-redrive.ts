import type { Runbook, StepContext } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

const BATCH = 10; // SQS's most per receive, send and delete batch
type Message = { MessageId?: string; ReceiptHandle?: string; Body?: string; Attributes?: Record<string, string> };

/**
 * The dead-letter queue: see what is in it, move it back to the job queue once the cause is fixed, or drop it with a
 * record (each dropped message's id and body in the audit log). Moving is receive, send, delete in batches of 10, so it
 * also runs against the local SQS-protocol server (which has no message move tasks) and records what it moved.
 */
export const dlqRedrive: Runbook = {
  id: "dlq-redrive",
  title: "Inspect the dead-letter queue, then redrive its messages to the job queue or drop them with a record",
  whenToUse:
    "queue-dlq-not-empty fired: a job failed every delivery (a photo marked failed with its reason). Inspect first; redrive once the cause (a bug, an outage) is fixed; drop jobs that can never succeed.",
  answersAlarms: ["queue-dlq-not-empty"],
  destructive: true,
  usesAws: true,
  params: [
    { name: "dlq-url", description: "the dead-letter queue's URL", required: true, pattern: /^https?:\/\/\S+$/, fromStack: "dlq" },
    { name: "queue-url", description: "the job queue's URL (where redrive sends the messages)", pattern: /^https?:\/\/\S+$/, fromStack: "queue" },
    { name: "action", description: "inspect (change nothing), redrive, or drop", default: "inspect", pattern: /^(inspect|redrive|drop)$/ },
    { name: "max", description: "at most this many messages to move or drop", default: "1000", pattern: /^[1-9]\d{0,5}$/ },
  ],
  validate: (p) => (p.action === "redrive" && !p["queue-url"] ? "redrive needs --param queue-url=<the job queue's URL>" : undefined),
  steps: [
    {
      id: "inspect",
      title: "Count the dead-letter queue and show up to 10 of its messages",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "the dead-letter queue answered",
      async act(ctx) {
        const { ReceiveMessageCommand, ChangeMessageVisibilityBatchCommand } = await import("@aws-sdk/client-sqs");
        const sqs = await ctx.aws.sqs();
        const messages = await visible(ctx);
        const out = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.params["dlq-url"], MaxNumberOfMessages: BATCH, VisibilityTimeout: 30 }))) as { Messages?: Message[] };
        const sample = out.Messages ?? [];
        // A look that leaves the messages where they were: visible again at once.
        if (sample.length) {
          await sqs.send(new ChangeMessageVisibilityBatchCommand({
            QueueUrl: ctx.params["dlq-url"], Entries: sample.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
          }));
        }
        return { messages, sample: sample.map((m) => ({ id: m.MessageId, body: m.Body })) };
      },
      async verify() {},
    },
    {
      id: "redrive",
      title: "Move the messages back to the job queue (action=redrive)",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "every message received from the dead-letter queue was sent to the job queue before it was deleted",
      async act(ctx) {
        if (ctx.params.action !== "redrive") return { skipped: `action is ${ctx.params.action}` };
        const { SendMessageBatchCommand } = await import("@aws-sdk/client-sqs");
        const sqs = await ctx.aws.sqs();
        const moved = await drain(ctx, async (batch) => {
          const out = (await sqs.send(new SendMessageBatchCommand({
            QueueUrl: ctx.params["queue-url"], Entries: batch.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? "" })),
          }))) as { Failed?: { Id?: string }[] };
          // Only what the job queue took is deleted from the dead-letter queue.
          const failed = new Set((out.Failed ?? []).map((f) => f.Id));
          return batch.filter((_, i) => !failed.has(String(i)));
        });
        return { moved: moved.length, ids: moved.map((m) => m.MessageId) };
      },
      async verify(ctx, acted) {
        if (acted.skipped || ctx.dryRun) return;
        return { left: await visible(ctx), next: "watch the photos: a job that fails again comes back here (the cause is not fixed)" };
      },
    },
    {
      id: "drop",
      title: "Delete the messages, recording each one's id and body (action=drop)",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "the dropped messages are recorded and gone from the dead-letter queue",
      async act(ctx) {
        if (ctx.params.action !== "drop") return { skipped: `action is ${ctx.params.action}` };
        const dropped = await drain(ctx, async (batch) => batch);
        // The record: the run's audit entry holds every dropped body (photo id and content hash, nothing secret).
        return { dropped: dropped.length, messages: dropped.map((m) => ({ id: m.MessageId, body: m.Body })) };
      },
      async verify(ctx, acted) {
        if (acted.skipped || ctx.dryRun) return;
        return { left: await visible(ctx) };
      },
    },
  ],
};

async function visible(ctx: StepContext): Promise<number> {
  const { GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
  const out = await (await ctx.aws.sqs()).send(
    new GetQueueAttributesCommand({ QueueUrl: ctx.params["dlq-url"], AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Receive batches from the dead-letter queue (held for 5 minutes), hand each to `handle`, delete what it returns;
 * until the queue answers empty or `max` is reached. Returns the messages handled.
 */
async function drain(ctx: StepContext, handle: (batch: Message[]) => Promise<Message[]>): Promise<Message[]> {
  const { ReceiveMessageCommand, DeleteMessageBatchCommand } = await import("@aws-sdk/client-sqs");
  const sqs = await ctx.aws.sqs();
  const max = Number(ctx.params.max);
  const done: Message[] = [];
  while (done.length < max) {
    const out = (await sqs.send(new ReceiveMessageCommand({
      QueueUrl: ctx.params["dlq-url"], MaxNumberOfMessages: Math.min(BATCH, max - done.length), WaitTimeSeconds: 1, VisibilityTimeout: 300,
    }))) as { Messages?: Message[] };
    const batch = out.Messages ?? [];
    if (batch.length === 0) break;
    const handled = await handle(batch);
    if (handled.length) {
      const del = (await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: ctx.params["dlq-url"], Entries: handled.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }))) as { Failed?: { Id?: string; Message?: string }[] };
      if (del.Failed?.length) throw new VerifyFailed(`could not delete ${del.Failed.length} messages from the dead-letter queue: ${del.Failed[0]?.Message ?? ""}`);
    }
    done.push(...handled);
    ctx.log(`${done.length} messages handled`);
    if (handled.length < batch.length) throw new VerifyFailed(`the job queue refused ${batch.length - handled.length} messages; they stay in the dead-letter queue`);
  }
  return done;
}
