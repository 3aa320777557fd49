/**
 * The offline plan runs as stack "plan", so its URNs read `urn:pulumi:plan::<project>::<type chain>::<name>`; a real
 * stack's read `urn:pulumi:<stack>::...`. Anything handed to Pulumi (`--target`, unprotect) must be the stack's own,
 * or Pulumi answers "target could not be found" and unprotect matches nothing.
 */
const URN = /^urn:pulumi:([^:]+)::([^:]+)::(.+)$/;

export class UrnError extends Error {
  override name = "UrnError";
}

/** The stack's own URN for a URN of the offline plan (or of any other stack of the same project). */
export function stackUrn(urn: string, stack: string): string {
  const m = URN.exec(urn);
  if (!m) throw new UrnError(`not a Pulumi URN: "${urn}" (expected urn:pulumi:<stack>::<project>::<type>::<name>)`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UrnError(`not a stack name: "${stack}"`);
  return `urn:pulumi:${stack}::${m[2]}::${m[3]}`;
}

export function stackUrns(urns: string[], stack: string): string[] {
  return urns.map((u) => stackUrn(u, stack));
}

/** The stack and project a URN names. */
export function urnParts(urn: string): { stack: string; project: string; rest: string } {
  const m = URN.exec(urn);
  if (!m) throw new UrnError(`not a Pulumi URN: "${urn}"`);
  return { stack: m[1]!, project: m[2]!, rest: m[3]! };
}
