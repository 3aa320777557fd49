import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Alerts component. */
export interface AlertsArgs {
  /** An email address or an https:// URL (e.g. PagerDuty); a secret. @default undefined (topic without subscriber) */
  endpoint?: pulumi.Input<string>;
  /** Whether endpoint is an email address or a URL; needed before the secret resolves. */
  protocol?: "email" | "https";
}

/** The SNS topic every alarm notifies (encrypted), with the configured subscriber. */
export class Alerts extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Alerts", name, {}, opts);
    const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: "alias/aws/sns" }, { parent: this });
    this.topicArn = topic.arn;
    if (args.endpoint !== undefined) {
      new aws.sns.TopicSubscription(`${name}-subscriber`, {
        topic: topic.arn, protocol: args.protocol ?? "email", endpoint: pulumi.secret(args.endpoint),
        endpointAutoConfirms: args.protocol === "https",
      }, { parent: this });
    }
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
