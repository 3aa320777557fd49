/**
 * Where a server's setting comes from. The stacks describe each tier's environment with these values; the plan shows
 * them (with the URN of the resource a value comes from), the boot program resolves them on a server, and the local
 * stages resolve the same objects against their local stand-ins. No secret value is ever held in one of these.
 */

/** A compute tier: the stage-0/1 box, the read and write app tiers behind the load balancer, stage 5's workers. */
export type Tier = "box" | "read" | "write" | "worker";

export const TIERS: readonly Tier[] = Object.freeze(["box", "read", "write", "worker"]);

/** An attribute of a resource the stack manages (the RDS primary's `address`, a bucket's `bucket`, a queue's `url`). */
export interface OutputValue {
  from: "output";
  urn: string;
  output: string;
}

/**
 * A value kept in Secrets Manager (a managed master password, the Redis AUTH token, the application user's password).
 * `urn` names the secret or the resource that owns it; `field` picks one key of a JSON secret.
 */
export interface SecretValue {
  from: "secret";
  urn: string;
  field?: string;
}

/** A string assembled from parts, e.g. `mysql://app@{host}:3306/app`; each `{name}` is replaced by its part. */
export interface TemplateValue {
  from: "template";
  template: string;
  parts: Record<string, RuntimeValue>;
}

/** A secret the server makes for itself at first boot and keeps on its own disk (stage 0's local database password). */
export interface GeneratedValue {
  from: "generated";
  name: string;
}

export type RuntimeValue = string | OutputValue | SecretValue | TemplateValue | GeneratedValue;

/** The environment one tier's processes get. */
export interface TierRuntime {
  tier: Tier;
  env: Record<string, RuntimeValue>;
}
