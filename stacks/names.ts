/**
 * Physical names (the ones AWS holds account-wide: an RDS identifier, a replication group id, a dashboard, a
 * warehouse namespace) start with the stack's own prefix, so two stacks in one account never collide. Pulumi-free:
 * the policy pack checks names against the stack named in each resource's URN with the same function.
 */
import { createHash } from "node:crypto";

/** The longest prefix: room for the longest suffix within RDS's 63 characters and ElastiCache's 40. */
const MAX_PREFIX = 20;

/**
 * The stack's prefix: lower-case letters, digits and single hyphens, starting with a letter, at most 20 characters
 * (a longer stack name keeps its first 13 and a hash of the whole, so two long names still differ).
 */
export function stackPrefix(stack: string): string {
  let clean = stack.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(clean)) clean = `s${clean}`;
  if (clean.length <= MAX_PREFIX) return clean;
  const hash = createHash("sha256").update(stack).digest("hex").slice(0, 6);
  return `${clean.slice(0, MAX_PREFIX - 7).replace(/-+$/, "")}-${hash}`;
}

/** `<prefix>-<suffix>`: the physical name of one resource of this stack. */
export function physicalName(stack: string, suffix: string): string {
  return `${stackPrefix(stack)}-${suffix}`;
}

/** The stack a URN belongs to (`urn:pulumi:<stack>::<project>::...`). */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0]!.replace(/^urn:pulumi:/, "");
}

/**
 * Throws naming the field when `name` is not a valid physical name of at most `max` characters: lower-case letters,
 * digits and single hyphens, starting with a letter, not ending with a hyphen (RDS, ElastiCache and Redshift rules).
 */
export function checkPhysicalName(field: string, name: string, max: number): void {
  if (name.length > max || !/^[a-z](-?[a-z0-9])*$/.test(name)) {
    throw new Error(`${field} must be 1-${max} lower-case letters, digits and single hyphens, starting with a letter, got ${JSON.stringify(name)}`);
  }
}
