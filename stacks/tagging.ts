/**
 * Tags every AWS resource of a stack with `scale:stack`: the stack's components are registered with one AWS provider
 * whose `defaultTags` say which stack they belong to (their children inherit it), so a cost report, a cleanup or an
 * on-call search finds every resource, including the ones a component adds later. The provider reads the stack's
 * `aws:region` and `aws:profile` as the default provider would.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** The tag key naming a resource's stack. */
export const STACK_TAG = "scale:stack";

/** The provider options every component of the stack is registered with. */
export function taggedProvider(stack: string): pulumi.ComponentResourceOptions {
  const provider = new aws.Provider("aws", { region: aws.config.region, profile: aws.config.profile, defaultTags: stackTags(stack) });
  return { providers: [provider] };
}

/** The `defaultTags` of a provider of `stack` (a component adding a provider of its own, for another region, uses it). */
export function stackTags(stack: string): aws.types.input.ProviderDefaultTags {
  return { tags: { [STACK_TAG]: stack } };
}
