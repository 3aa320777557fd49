/**
 * The SDK mocks `plan.ts` runs the program under: every resource gets a deterministic id and the computed attributes
 * the program reads; invokes answer with fixed data for one region. Loaded lazily (it imports @pulumi/pulumi types only).
 */
import type * as pulumi from "@pulumi/pulumi";

const REGION = "us-east-1";
/** What the generated-password invoke answers offline; a plan that shows it leaks a secret. */
export const OFFLINE_PASSWORD = "offline-plan-placeholder-password";
const ACCOUNT = "123456789012";

function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const arn = `arn:aws:mock:${REGION}:${ACCOUNT}:${type.split(":").pop()}/${name}`;
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = `${String(inputs.bucketPrefix ?? name)}mock`;
      return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com` };
    }
    case "aws:ec2/eip:Eip": return { publicIp: "203.0.113.10", publicDns: "ec2-203-0-113-10.compute-1.amazonaws.com", arn };
    case "aws:ec2/launchTemplate:LaunchTemplate": return { arn, latestVersion: 1, defaultVersion: 1 };
    case "aws:secretsmanager/secret:Secret": return { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf` };
    case "aws:ec2/vpcEndpoint:VpcEndpoint": return { prefixListId: "pl-63a5400a", arn };
    case "aws:rds/instance:Instance": return {
      arn, address: `${String(inputs.identifier ?? name)}.mock.${REGION}.rds.amazonaws.com`, port: 3306,
      masterUserSecrets: inputs.manageMasterUserPassword ? [{ secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds-${name}` }] : [],
    };
    case "aws:elasticache/replicationGroup:ReplicationGroup": return { arn, primaryEndpointAddress: `master.${name}.mock.cache.amazonaws.com` };
    case "aws:acm/certificate:Certificate": return {
      arn, domainValidationOptions: [{ domainName: inputs.domainName, resourceRecordName: `_mock.${String(inputs.domainName)}.`, resourceRecordType: "CNAME", resourceRecordValue: "_mock.acm-validations.aws." }],
    };
    case "aws:acm/certificateValidation:CertificateValidation": return { certificateArn: inputs.certificateArn };
    case "aws:route53/record:Record": return { fqdn: inputs.name };
    case "aws:lb/loadBalancer:LoadBalancer": return { arn, arnSuffix: `app/${name}/mock`, dnsName: `${name}.${REGION}.elb.amazonaws.com`, zoneId: "Z35SXDOTRQ7X7K" };
    case "aws:lb/targetGroup:TargetGroup": return { arn, arnSuffix: `targetgroup/${name}/mock` };
    case "aws:cloudfront/distribution:Distribution": return { arn, domainName: `${name}.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2" };
    case "aws:sqs/queue:Queue": return { arn, name, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` };
    case "aws:autoscaling/group:Group": return { arn, name };
    case "aws:iam/role:Role": case "aws:iam/instanceProfile:InstanceProfile": case "aws:rds/subnetGroup:SubnetGroup":
    case "aws:rds/parameterGroup:ParameterGroup": case "aws:elasticache/subnetGroup:SubnetGroup": return { arn, name };
    default: return { arn };
  }
}

/** An error the mock monitor passes through with its message intact. */
function mockError(message: string): Error {
  return Object.assign(new Error(message), { details: message });
}

/** The mocks for one offline run. */
export const planMocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const state = { ...args.inputs, ...computed(args.type, args.name, args.inputs) };
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    switch (args.token) {
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: ["use1-az1", "use1-az2", "use1-az4"] };
      case "aws:index/getRegion:getRegion": return { name: REGION, region: REGION, id: REGION };
      case "aws:index/getCallerIdentity:getCallerIdentity": return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: ACCOUNT };
      case "aws:ec2/getAmi:getAmi": return { id: "ami-0mockal2023", name: "al2023-ami-2023.6-x86_64" };
      case "aws:ec2/getManagedPrefixList:getManagedPrefixList": return { id: "pl-3b927c52", name: args.inputs.name };
      case "aws:elb/getServiceAccount:getServiceAccount": return { id: "127311923021", arn: "arn:aws:iam::127311923021:root" };
      // Stands in for a generated password: it must never show in a plan (the plan tests look for it).
      case "aws:secretsmanager/getRandomPassword:getRandomPassword": return { id: "random", randomPassword: OFFLINE_PASSWORD };
      default: throw mockError(`the offline plan has no mock for the invoke ${args.token}: add one to stacks/mocks.ts`);
    }
  },
};
