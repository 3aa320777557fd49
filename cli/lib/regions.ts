/**
 * The AWS regions the CLI accepts for --region / AWS_REGION. A name outside this list is a typo
 * (`mars-1`, `us-east1`) caught before any call, instead of a DNS error from the SDK much later.
 * New regions open rarely; add them here when they do.
 */
export const AWS_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
  "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ca-central-1", "ca-west-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
  "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
] as const;

/** undefined when the region is known, otherwise what is wrong and what to do. */
export function regionProblem(region: string): string | undefined {
  if ((AWS_REGIONS as readonly string[]).includes(region)) return undefined;
  return `"${region}" is not an AWS region; use one such as us-east-1 or eu-west-1 (\`aws ec2 describe-regions\` lists yours)`;
}
