/**
 * The S3 and SQS stand-ins of a local stage, one process each (`s3` and `sqs` components): fauxqs, an S3/SQS-protocol
 * server from npm, on 127.0.0.1:PORT. It keeps everything in memory, so a restart comes back with the buckets and
 * queues made again (empty). Writes what it made to the file named by --report (the queue URLs the tiers get).
 *
 *   node --import tsx local/aws-standin.ts --port 4566 --report FILE [--bucket NAME]... [--queue NAME[:DLQ:MAXRECEIVE]]...
 */
import { parseArgs } from "node:util";
import { writeFile } from "node:fs/promises";
import { startFauxqs } from "fauxqs";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    report: { type: "string" },
    bucket: { type: "string", multiple: true, default: [] },
    queue: { type: "string", multiple: true, default: [] },
    "visibility-seconds": { type: "string", default: "120" },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || !values.report) {
  console.error("usage: aws-standin.ts --port PORT --report FILE [--bucket NAME]... [--queue NAME[:DLQ:MAXRECEIVE]]...");
  process.exit(2);
}

const server = await startFauxqs({ port, host: "127.0.0.1", logger: false });
for (const bucket of values.bucket) server.createBucket(bucket);
const queues: Record<string, string> = {};
// Dead-letter queues first: a queue's redrive policy names its DLQ's ARN.
const specs = values.queue.map((q) => q.split(":")).sort((a, b) => a.length - b.length);
const arns: Record<string, string> = {};
for (const [name, dlq, maxReceive] of specs) {
  const attributes: Record<string, string> = { VisibilityTimeout: values["visibility-seconds"] };
  if (dlq) {
    const arn = arns[dlq];
    if (!arn) throw new Error(`queue ${name!}: its dead-letter queue ${dlq} is not among the queues`);
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: Number(maxReceive ?? 5) });
  }
  const made = server.createQueue(name!, { attributes });
  queues[name!] = made.queueUrl;
  arns[name!] = made.queueArn;
}
await writeFile(values.report, JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, buckets: values.bucket, queues }, null, 2));
console.log(`fauxqs on 127.0.0.1:${port}: buckets ${values.bucket.join(", ") || "-"}, queues ${Object.keys(queues).join(", ") || "-"}`);

const stop = () => void server.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
