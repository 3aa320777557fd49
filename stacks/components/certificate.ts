import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Certificate component. */
export interface CertificateArgs {
  /** The name the certificate is for. */
  domainName: pulumi.Input<string>;
  /** The Route 53 zone that proves we own it. */
  hostedZoneId: pulumi.Input<string>;
}

/** An ACM certificate validated through Route 53 DNS records. Pass a provider in opts for another region. */
export class Certificate extends pulumi.ComponentResource {
  /** The ARN, available once validation succeeded. */
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Certificate", name, {}, opts);
    const cert = new aws.acm.Certificate(`${name}-cert`, {
      domainName: args.domainName, validationMethod: "DNS",
    }, { parent: this });
    const option = cert.domainValidationOptions.apply((o) => o[0]);
    const record = new aws.route53.Record(`${name}-validation`, {
      zoneId: args.hostedZoneId,
      name: option.apply((o) => o?.resourceRecordName ?? ""),
      type: option.apply((o) => o?.resourceRecordType ?? "CNAME"),
      records: [option.apply((o) => o?.resourceRecordValue ?? "")],
      ttl: 300,
      allowOverwrite: true,
    }, { parent: this });
    const validation = new aws.acm.CertificateValidation(`${name}-validation`, {
      certificateArn: cert.arn, validationRecordFqdns: [record.fqdn],
    }, { parent: this });
    this.arn = validation.certificateArn;
    this.registerOutputs({ arn: this.arn });
  }
}
