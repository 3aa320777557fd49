import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Certificate } from "./certificate.ts";

/** Arguments of the Cdn component. */
export interface CdnArgs {
  /** The public name (the distribution's alias). */
  domain: string;
  hostedZoneId: pulumi.Input<string>;
  /** The static bucket's regional domain name. */
  staticBucketDomainName: pulumi.Input<string>;
  /** The ALB's origin name (covered by the ALB's certificate). */
  albOriginDomain: pulumi.Input<string>;
  /** Paths served from the static bucket. @default ["/static/*"] */
  staticPaths?: string[];
}

// AWS managed policies: CachingOptimized, CachingDisabled, AllViewerExceptHostHeader.
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/**
 * CloudFront in front of everything: static paths from S3 through origin access control, the rest from the ALB over
 * HTTPS; viewers redirected to HTTPS with TLS 1.2+. Its certificate lives in us-east-1, as CloudFront requires.
 */
export class Cdn extends pulumi.ComponentResource {
  readonly distributionArn: pulumi.Output<string>;
  readonly domainName: pulumi.Output<string>;
  readonly hostedZoneId: pulumi.Output<string>;

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Cdn", name, {}, opts);
    const usEast1 = new aws.Provider(`${name}-us-east-1`, { region: "us-east-1" }, { parent: this });
    const cert = new Certificate(`${name}-cert`, { domainName: args.domain, hostedZoneId: args.hostedZoneId }, { parent: this, provider: usEast1 });
    const oac = new aws.cloudfront.OriginAccessControl(`${name}-oac`, {
      originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4",
    }, { parent: this });
    const distribution = new aws.cloudfront.Distribution(`${name}-distribution`, {
      enabled: true,
      aliases: [args.domain],
      httpVersion: "http2and3",
      priceClass: "PriceClass_100",
      origins: [
        { originId: "static", domainName: args.staticBucketDomainName, originAccessControlId: oac.id },
        {
          originId: "alb", domainName: args.albOriginDomain,
          customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: "alb", viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"], cachedMethods: ["GET", "HEAD"],
        cachePolicyId: CACHING_DISABLED, originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST, compress: true,
      },
      orderedCacheBehaviors: (args.staticPaths ?? ["/static/*"]).map((pathPattern) => ({
        pathPattern, targetOriginId: "static", viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"], cachedMethods: ["GET", "HEAD"], cachePolicyId: CACHING_OPTIMIZED, compress: true,
      })),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { acmCertificateArn: cert.arn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
    }, { parent: this });
    this.distributionArn = distribution.arn;
    this.domainName = distribution.domainName;
    this.hostedZoneId = distribution.hostedZoneId;
    this.registerOutputs({ domainName: this.domainName });
  }
}
