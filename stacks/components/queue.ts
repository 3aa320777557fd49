import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { Attribute } from "../../runtime/settings.ts";

/** Arguments of the Queue component. */
export interface QueueArgs {
  /** Seconds a worker holds a job before it returns to the queue. @default 120 */
  visibilityTimeoutSeconds?: number;
  /** Deliveries before a job goes to the dead-letter queue. @default 5 */
  maxReceiveCount?: number;
}

/**
 * An encrypted SQS job queue with an encrypted dead-letter queue for jobs that keep failing. Both hold work not yet
 * done, so both are protected and retained on delete: leaving stage 5 never drops queued or dead-lettered jobs.
 */
export class Queue extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;
  readonly deadLetterName: pulumi.Output<string>;
  /** The queue's URL as the runtime names it (the queue's URN and output). */
  readonly urlAttribute: pulumi.Output<Attribute>;

  constructor(name: string, args: QueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Queue", name, {}, opts);
    const dlq = new aws.sqs.Queue(`${name}-dlq`, { sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 }, { parent: this, protect: true, retainOnDelete: true });
    const queue = new aws.sqs.Queue(`${name}-jobs`, {
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: args.visibilityTimeoutSeconds ?? 120,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: args.maxReceiveCount ?? 5 }),
    }, { parent: this, protect: true, retainOnDelete: true });
    this.url = queue.url;
    this.arn = queue.arn;
    this.name = queue.name;
    this.deadLetterName = dlq.name;
    this.urlAttribute = pulumi.all([queue.urn, queue.url]).apply(([urn, url]) => ({ urn, output: "url", value: url }));
    this.registerOutputs({ url: this.url });
  }
}
