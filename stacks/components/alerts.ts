import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Alerts component. */
export interface AlertsArgs {
  /** An email address or an https:// URL (e.g. PagerDuty); a secret. @default undefined (topic without subscriber) */
  endpoint?: pulumi.Input<string>;
  /** Whether endpoint is an email address or a URL; needed before the secret resolves. */
  protocol?: "email" | "https";
}

/**
 * The SNS topic every alarm notifies, with the configured subscriber. Encrypted with a key of our own: CloudWatch
 * cannot publish to a topic under the AWS managed SNS key, whose policy does not admit it.
 */
export class Alerts extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Alerts", name, {}, opts);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const key = new aws.kms.Key(`${name}-key`, {
      description: "Encrypts the alert topic; CloudWatch alarms may use it",
      enableKeyRotation: true,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
          { Sid: "CloudWatchPublishes", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*" },
        ],
      }),
    }, { parent: this });
    const topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: key.id }, { parent: this });
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
