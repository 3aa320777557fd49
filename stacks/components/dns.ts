import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Dns component. */
export interface DnsArgs {
  hostedZoneId: pulumi.Input<string>;
  /** The public name. */
  domain: string;
  /** Where the name points: the single box's Elastic IP, or an alias (CloudFront). */
  target: { ip: pulumi.Input<string> } | { alias: { name: pulumi.Input<string>; zoneId: pulumi.Input<string> } };
  /** Extra names aliased to other targets, e.g. the ALB's origin name. @default {} */
  aliases?: Record<string, { name: pulumi.Input<string>; zoneId: pulumi.Input<string> }>;
}

/** The domain's A record: to the box's Elastic IP at first, an alias to CloudFront from stage 2. */
export class Dns extends pulumi.ComponentResource {
  readonly fqdn: pulumi.Output<string>;

  constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Dns", name, {}, opts);
    // One record resource whose target changes, so the move to CloudFront is an update, never a gap.
    const record = new aws.route53.Record(`${name}-apex`, {
      zoneId: args.hostedZoneId, name: args.domain, type: "A",
      ...("ip" in args.target
        ? { ttl: 60, records: [args.target.ip] }
        : { aliases: [{ name: args.target.alias.name, zoneId: args.target.alias.zoneId, evaluateTargetHealth: false }] }),
    }, { parent: this });
    for (const [label, alias] of Object.entries(args.aliases ?? {})) {
      new aws.route53.Record(`${name}-${label}`, {
        zoneId: args.hostedZoneId, name: `${label}.${args.domain}`, type: "A",
        aliases: [{ name: alias.name, zoneId: alias.zoneId, evaluateTargetHealth: true }],
      }, { parent: this });
    }
    this.fqdn = record.fqdn;
    this.registerOutputs({ fqdn: this.fqdn });
  }
}
