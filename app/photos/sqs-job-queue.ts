/** The job queue on SQS (or an SQS-protocol server at SQS_ENDPOINT). Its visibility timeout and DLQ come from the queue. */
import {
  SQSClient, SendMessageBatchCommand, ReceiveMessageCommand, ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import type { JobQueue, PhotoJob, ReceivedJob } from "./ports.ts";

export function createSqsClient(opts: { region: string; endpoint?: string }): SQSClient {
  // Fail fast when the server is gone (the outbox keeps the job); a long poll needs more than its 20 s wait.
  return new SQSClient({ region: opts.region, endpoint: opts.endpoint, requestHandler: { connectionTimeout: 2000, requestTimeout: 30_000 } });
}

const SEND_BATCH = 10; // SQS's limit per SendMessageBatch

function parseJob(body: string | undefined): PhotoJob {
  try {
    const j = JSON.parse(body ?? "") as Partial<PhotoJob>;
    if (typeof j.photoId === "string" && typeof j.sha256 === "string") return { photoId: j.photoId, sha256: j.sha256 };
  } catch {
    // falls through: a message that is not ours finds no photo and is dropped by the worker
  }
  return { photoId: "", sha256: "" };
}

export function createSqsJobQueue(sqs: SQSClient, queueUrl: string): JobQueue {
  let cached: Promise<{ visibilitySeconds: number; maxReceives: number | null }> | undefined;
  async function attributes(names: ("VisibilityTimeout" | "RedrivePolicy")[]) {
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }))).Attributes ?? {};
  }
  return {
    async send(jobs) {
      for (let i = 0; i < jobs.length; i += SEND_BATCH) {
        const batch = jobs.slice(i, i + SEND_BATCH);
        const out = await sqs.send(new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((job, n) => ({ Id: String(n), MessageBody: JSON.stringify(job) })),
        }));
        if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} of ${batch.length} jobs: ${out.Failed[0]?.Message ?? out.Failed[0]?.Code}`);
      }
    },
    async receive({ max, waitSeconds, signal }) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(max, 10), WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
          { abortSignal: signal },
        );
        return (out.Messages ?? []).map((m): ReceivedJob => ({
          job: parseJob(m.Body), handle: m.ReceiptHandle!, receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
        }));
      } catch (err) {
        if (signal?.aborted) return [];
        throw err;
      }
    },
    async extend(handle, seconds) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: seconds }));
    },
    async delete(handle) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle }));
    },
    async release(handle, seconds) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: seconds }));
    },
    settings() {
      cached ??= attributes(["VisibilityTimeout", "RedrivePolicy"]).then((a) => {
        const policy = a.RedrivePolicy ? (JSON.parse(a.RedrivePolicy) as { maxReceiveCount?: number | string }) : undefined;
        return { visibilitySeconds: Number(a.VisibilityTimeout ?? 30), maxReceives: policy?.maxReceiveCount ? Number(policy.maxReceiveCount) : null };
      });
      cached.catch(() => (cached = undefined));
      return cached;
    },
  };
}
