import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { stackTags } from "../tagging.ts";
import { Certificate } from "./certificate.ts";

/** Arguments of the Cdn component. */
export interface CdnArgs {
  /** The public name (the distribution's alias). */
  domain: string;
  hostedZoneId: pulumi.Input<string>;
  /** The static bucket's regional domain name. @default undefined (no static origin yet: stage 0) */
  staticBucketDomainName?: pulumi.Input<string>;
  /**
   * Where everything but static paths goes: the ALB's origin name over HTTPS (covered by the ALB's certificate), or
   * at stages 0-1 the box's public name over HTTP on the app's port (the box can hold no ACM certificate).
   */
  app: { domainName: pulumi.Input<string>; protocol: "https" } | { domainName: pulumi.Input<string>; protocol: "http"; port: number };
  /** Paths served from the static bucket. @default ["/static/*"] */
  staticPaths?: string[];
}

/** Throws an error naming the bad field. */
export function validateCdnArgs(args: CdnArgs): void {
  if (args.app.protocol === "http" && !(args.app.port === 80 || (args.app.port >= 1024 && args.app.port <= 65535))) {
    throw new Error(`Cdn app.port must be 80 or 1024-65535 (CloudFront's custom origin ports), got ${args.app.port}`);
  }
}

// AWS managed policies: CachingOptimized, CachingDisabled, AllViewerExceptHostHeader.
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/**
 * CloudFront in front of everything, from stage 0: static paths from S3 through origin access control, the rest from
 * the app origin (the box, then the ALB); viewers redirected to HTTPS with TLS 1.2+. Its certificate lives in
 * us-east-1, as CloudFront requires. The public name points here at every stage, so a move never changes DNS.
 */
export class Cdn extends pulumi.ComponentResource {
  readonly distributionArn: pulumi.Output<string>;
  readonly domainName: pulumi.Output<string>;
  readonly hostedZoneId: pulumi.Output<string>;

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Cdn", name, {}, opts);
    validateCdnArgs(args);
    const usEast1 = new aws.Provider(`${name}-us-east-1`, { region: "us-east-1", defaultTags: stackTags(pulumi.getStack()) }, { parent: this });
    const cert = new Certificate(`${name}-cert`, { domainName: args.domain, hostedZoneId: args.hostedZoneId }, { parent: this, provider: usEast1 });
    const oac = args.staticBucketDomainName === undefined ? undefined : new aws.cloudfront.OriginAccessControl(`${name}-oac`, {
      originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4",
    }, { parent: this });
    const app = args.app;
    const appOrigin = {
      originId: "app", domainName: app.domainName,
      customOriginConfig: app.protocol === "https"
        ? { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] }
        : { httpPort: app.port, httpsPort: 443, originProtocolPolicy: "http-only", originSslProtocols: ["TLSv1.2"] },
    };
    const distribution = new aws.cloudfront.Distribution(`${name}-distribution`, {
      enabled: true,
      aliases: [args.domain],
      httpVersion: "http2and3",
      priceClass: "PriceClass_100",
      origins: [
        ...(oac && args.staticBucketDomainName !== undefined ? [{ originId: "static", domainName: args.staticBucketDomainName, originAccessControlId: oac.id }] : []),
        appOrigin,
      ],
      defaultCacheBehavior: {
        targetOriginId: "app", viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"], cachedMethods: ["GET", "HEAD"],
        cachePolicyId: CACHING_DISABLED, originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST, compress: true,
      },
      orderedCacheBehaviors: (oac ? args.staticPaths ?? ["/static/*"] : []).map((pathPattern) => ({
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
