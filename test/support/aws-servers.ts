/**
 * S3- and SQS-protocol servers for tests: fauxqs (npm) in this process on free 127.0.0.1 ports. S3 and SQS run as two
 * servers, so a test can stop the queue (and bring it back on the same port and URL) while the objects stay.
 * Also a proxy that holds chosen requests, to stop a worker at a known point of its job.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { startFauxqs } from "fauxqs";
import { S3Client, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SQSClient, GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { freePort } from "./servers.ts";

// The SDK wants credentials; fauxqs accepts any.
export const FAKE_AWS_ENV = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1" };
Object.assign(process.env, FAKE_AWS_ENV);

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

export interface QueueSettings {
  visibilitySeconds: number;
  maxReceiveCount: number;
}

export class LocalSqs {
  private server: Fauxqs | undefined;
  queueUrl = "";
  dlqUrl = "";
  constructor(readonly port: number, private readonly settings: QueueSettings) {}

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Start (again, after stop(): fauxqs keeps nothing, so the queues are made anew with the same URLs). */
  async start() {
    this.server = await startFauxqs({ port: this.port, logger: false });
    const dlq = this.server.createQueue("jobs-dlq");
    const q = this.server.createQueue("jobs", {
      attributes: {
        VisibilityTimeout: String(this.settings.visibilitySeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: this.settings.maxReceiveCount }),
      },
    });
    // URLs as fauxqs names them, sqs.<region>.localhost:<port>: clients need SQS_ENDPOINT (or interceptLocalhostDns).
    this.queueUrl = q.queueUrl;
    this.dlqUrl = dlq.queueUrl;
  }

  async stop() {
    await this.server?.stop();
    this.server = undefined;
  }

  client() {
    return new SQSClient({ endpoint: this.endpoint, region: "us-east-1" });
  }

  /** Visible + in flight, of the job queue or the DLQ. */
  async count(which: "jobs" | "dlq" = "jobs"): Promise<{ visible: number; inFlight: number }> {
    const sqs = this.client();
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: which === "jobs" ? this.queueUrl : this.dlqUrl, AttributeNames: ["All"] }))).Attributes ?? {};
    sqs.destroy();
    return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
  }

  async sendRaw(body: string) {
    const sqs = this.client();
    await sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
    sqs.destroy();
  }
}

export async function startLocalSqs(settings: QueueSettings = { visibilitySeconds: 2, maxReceiveCount: 2 }): Promise<LocalSqs> {
  const sqs = new LocalSqs(await freePort(), settings);
  await sqs.start();
  return sqs;
}

export class LocalS3 {
  constructor(private readonly server: Fauxqs, readonly buckets: string[]) {}
  get endpoint() {
    return this.server.address;
  }
  async keys(bucket: string, prefix = ""): Promise<string[]> {
    const s3 = new S3Client({ endpoint: this.endpoint, region: "us-east-1", forcePathStyle: true });
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(out.Contents ?? []).map((o) => o.Key!));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    s3.destroy();
    return keys.sort();
  }
  stop() {
    return this.server.stop();
  }
}

export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  const server = await startFauxqs({ port: 0, logger: false });
  for (const b of buckets) server.createBucket(b);
  return new LocalS3(server, buckets);
}

/**
 * An HTTP proxy to `target` that holds every request `matches` picks until release() (then forwards them), and
 * tells when one arrives: a worker blocked in the middle of a job, at a point the test chose.
 */
export class HoldingProxy {
  private held: Array<() => void> = [];
  private arrived: Array<() => void> = [];
  private readonly server: Server;
  holding = true;

  private constructor(target: string, matches: (req: IncomingMessage) => boolean, readonly port: number) {
    const url = new URL(target);
    this.server = createServer((req, res) => {
      const forward = () => {
        const up = request({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on("error", () => res.destroy());
        req.pipe(up);
      };
      if (this.holding && matches(req)) {
        req.pause();
        this.held.push(forward);
        for (const f of this.arrived.splice(0)) f();
      } else forward();
    });
  }

  static async start(target: string, matches: (req: IncomingMessage) => boolean): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(target, matches, await freePort());
    await new Promise<void>((r) => proxy.server.listen(proxy.port, "127.0.0.1", r));
    return proxy;
  }

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves when a held request is waiting. */
  waitForHeld(): Promise<void> {
    if (this.held.length) return Promise.resolve();
    return new Promise((r) => this.arrived.push(r));
  }

  release() {
    this.holding = false;
    for (const f of this.held.splice(0)) f();
  }

  async stop() {
    this.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
