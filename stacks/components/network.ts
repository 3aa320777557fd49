import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Arguments of the Network component. */
export interface NetworkArgs {
  /** How many AZs get a public and a private subnet. @default 2 */
  azCount?: number;
  /** The VPC's CIDR; subnets are /20s carved from it. @default "10.0.0.0/16" */
  cidrBlock?: string;
  /** S3 buckets reachable through the S3 gateway endpoint (ARNs, objects included). */
  s3BucketArns: pulumi.Input<string>[];
  /** AWS services reached privately through interface endpoints (e.g. "secretsmanager"). @default [] */
  interfaceEndpoints?: readonly string[];
}

/** Throws an error naming the bad field. */
export function validateNetworkArgs(args: NetworkArgs): void {
  const azCount = args.azCount ?? 2;
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > 6) throw new Error(`Network azCount must be 1-6, got ${azCount}`);
}

/**
 * A VPC with a public and a private subnet per AZ, an internet gateway for the public subnets only, no NAT (the
 * servers have no outbound internet) and an S3 gateway endpoint so they still reach their artifacts.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly cidrBlock: string;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly availabilityZones: pulumi.Output<string>[];
  readonly s3PrefixListId: pulumi.Output<string>;
  readonly endpointSecurityGroupId: pulumi.Output<string> | undefined;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Network", name, {}, opts);
    validateNetworkArgs(args);
    const azCount = args.azCount ?? 2;
    this.cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
    this.availabilityZones = Array.from({ length: azCount }, (_, i) => azs.names.apply((n) => zoneAt(n, i)));

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: this.cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name },
    }, { parent: this });
    this.vpcId = vpc.id;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
    }, { parent: this });
    // Private subnets route only inside the VPC (and to S3 through the endpoint): no NAT, no way out.
    const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id }, { parent: this });

    this.publicSubnetIds = this.createSubnets(name, "public", vpc.id, publicRoutes.id, 0, azCount);
    this.privateSubnetIds = this.createSubnets(name, "private", vpc.id, privateRoutes.id, 8, azCount);

    const region = aws.getRegionOutput({}, { parent: this });
    const s3Endpoint = new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [publicRoutes.id, privateRoutes.id],
      policy: s3EndpointPolicy(region.region, args.s3BucketArns),
    }, { parent: this });
    this.s3PrefixListId = s3Endpoint.prefixListId;

    const services = args.interfaceEndpoints ?? [];
    if (services.length > 0) {
      const sg = new aws.ec2.SecurityGroup(`${name}-endpoints`, {
        vpcId: vpc.id,
        description: "Interface endpoints: HTTPS from inside the VPC",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [this.cidrBlock] }],
        egress: [],
      }, { parent: this });
      this.endpointSecurityGroupId = sg.id;
      for (const service of services) {
        new aws.ec2.VpcEndpoint(`${name}-${service}`, {
          vpcId: vpc.id,
          serviceName: pulumi.interpolate`com.amazonaws.${region.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [sg.id],
        }, { parent: this });
      }
    }
    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
  }

  private createSubnets(name: string, kind: string, vpcId: pulumi.Output<string>, routeTableId: pulumi.Output<string>,
    offset: number, azCount: number): pulumi.Output<string>[] {
    return this.availabilityZones.map((az, i) => {
      const subnet = new aws.ec2.Subnet(`${name}-${kind}-${i + 1}`, {
        vpcId,
        availabilityZone: az,
        cidrBlock: `10.0.${(offset + i) * 16}.0/20`,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-${kind}-${i + 1}`, "scale:tier": kind },
      }, { parent: this });
      new aws.ec2.RouteTableAssociation(`${name}-${kind}-${i + 1}`, { subnetId: subnet.id, routeTableId }, { parent: this });
      return subnet.id;
    }).slice(0, azCount);
  }
}

function zoneAt(names: string[], i: number): string {
  const zone = names[i];
  if (zone === undefined) throw new Error(`Network azCount ${i + 1} exceeds the region's ${names.length} available AZs`);
  return zone;
}

// The gateway endpoint admits only our buckets and Amazon Linux's package repositories (which live in S3).
function s3EndpointPolicy(region: pulumi.Input<string>, bucketArns: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
      Resource: [
        ...bucketArns.flatMap((arn) => [arn, pulumi.interpolate`${arn}/*`]),
        pulumi.interpolate`arn:aws:s3:::al2023-repos-${region}-de612dc2/*`,
      ],
    }],
  });
}
