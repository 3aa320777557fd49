import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { APP_PORT, HEALTH_CHECK, HEALTH_CHECK_PATH } from "../../runtime/servers.ts";

/** Arguments of the LoadBalancer component. */
export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR, where the targets live. */
  vpcCidr: string;
  /** Public subnets in at least two AZs. */
  subnetIds: pulumi.Input<string>[];
  /** The validated certificate for the ALB's origin name. */
  certificateArn: pulumi.Input<string>;
  /** Only CloudFront reaches the ALB: its origin-facing managed prefix list. */
  cloudFrontPrefixListId: pulumi.Input<string>;
  /** The path the target groups probe. @default HEALTH_CHECK_PATH ("/readyz": the database and cache answer) */
  healthCheckPath?: string;
  /** The bucket access logs go to (its policy must already admit the regional ELB log delivery). */
  accessLogBucket: pulumi.Input<string>;
}

/** The TLS policy: TLS 1.2 and 1.3 with forward secrecy only. */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * An internet-facing ALB terminating TLS, HTTP redirected to HTTPS, and two target groups: reads (GET/HEAD) and
 * writes (everything else), so the two app tiers scale independently.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly dnsName: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly zoneId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly readTargetGroupArn: pulumi.Output<string>;
  readonly writeTargetGroupArn: pulumi.Output<string>;
  readonly targetGroupArnSuffixes: pulumi.Output<string>[];

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:LoadBalancer", name, {}, opts);
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, {
      vpcId: args.vpcId,
      description: "ALB: HTTPS from CloudFront only",
      // CloudFront's prefix list weighs ~55 rules of the default 60 per group: one rule only, and CloudFront
      // talks HTTPS to the origin anyway (the HTTP listener below redirects whatever else gets in).
      ingress: [
        { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: [args.cloudFrontPrefixListId], description: "HTTPS from CloudFront" },
      ],
      egress: [{ protocol: "tcp", fromPort: APP_PORT, toPort: APP_PORT, cidrBlocks: [args.vpcCidr], description: "to the app tiers" }],
    }, { parent: this });
    this.securityGroupId = sg.id;
    const alb = new aws.lb.LoadBalancer(`${name}-alb`, {
      loadBalancerType: "application", internal: false, subnets: args.subnetIds, securityGroups: [sg.id],
      // Deletion protection: a move back to stage 1 lifts it first (docs/stacks.md), nothing else removes the ALB.
      dropInvalidHeaderFields: true, enableDeletionProtection: true, idleTimeout: 60,
      accessLogs: { bucket: args.accessLogBucket, prefix: "alb", enabled: true },
    }, { parent: this });
    this.dnsName = alb.dnsName;
    this.arnSuffix = alb.arnSuffix;
    this.zoneId = alb.zoneId;

    const read = this.createTargetGroup(`${name}-read`, "read", args);
    const write = this.createTargetGroup(`${name}-write`, "write", args);
    this.readTargetGroupArn = read.arn;
    this.writeTargetGroupArn = write.arn;
    this.targetGroupArnSuffixes = [read.arnSuffix, write.arnSuffix];

    new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: alb.arn, port: 80, protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
    }, { parent: this });
    const https = new aws.lb.Listener(`${name}-https`, {
      loadBalancerArn: alb.arn, port: 443, protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY,
      certificateArn: args.certificateArn, defaultActions: [{ type: "forward", targetGroupArn: write.arn }],
    }, { parent: this });
    new aws.lb.ListenerRule(`${name}-reads`, {
      listenerArn: https.arn, priority: 10,
      conditions: [{ httpRequestMethod: { values: ["GET", "HEAD"] } }],
      actions: [{ type: "forward", targetGroupArn: read.arn }],
    }, { parent: this });
    this.registerOutputs({ dnsName: this.dnsName });
  }

  private createTargetGroup(name: string, tier: "read" | "write", args: LoadBalancerArgs): aws.lb.TargetGroup {
    return new aws.lb.TargetGroup(name, {
      // The tier whose servers it holds: what a deploy or an on-call search looks the group up by.
      tags: { "scale:tier": tier },
      vpcId: args.vpcId, port: APP_PORT, protocol: "HTTP", targetType: "instance", deregistrationDelay: 30,
      healthCheck: {
        path: args.healthCheckPath ?? HEALTH_CHECK_PATH, matcher: "200", interval: HEALTH_CHECK.intervalSeconds,
        healthyThreshold: HEALTH_CHECK.healthyThreshold, unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
      },
    }, { parent: this });
  }
}
