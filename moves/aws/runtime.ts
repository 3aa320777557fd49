/**
 * A tier's runtime as a server gets it: the plan's form has resource outputs and secrets by URN; on the server
 * outputs are concrete strings and secrets carry their ARN. `lookup` reads a resource's state from the stack.
 */
import type { RuntimeValue, TierRuntime } from "../../runtime/sources.ts";

export type ResourceLookup = (urn: string) => Promise<Record<string, unknown>>;

export async function concreteRuntime(runtime: TierRuntime, lookup: ResourceLookup): Promise<TierRuntime> {
  const env: Record<string, RuntimeValue> = {};
  for (const [k, v] of Object.entries(runtime.env)) env[k] = await concrete(k, v, lookup);
  const out: TierRuntime = { tier: runtime.tier, env };
  if (runtime.migrate) {
    const migrate: Record<string, RuntimeValue> = {};
    for (const [k, v] of Object.entries(runtime.migrate)) migrate[k] = await concrete(k, v, lookup);
    out.migrate = migrate;
  }
  return out;
}

async function concrete(name: string, v: RuntimeValue, lookup: ResourceLookup): Promise<RuntimeValue> {
  if (typeof v === "string") return v;
  switch (v.from) {
    case "output": {
      const value = (await lookup(v.urn))[v.output];
      if (typeof value !== "string" && typeof value !== "number") throw new Error(`${name}: the stack's ${v.urn} has no output ${v.output}`);
      return String(value);
    }
    case "secret": {
      if (v.arn) return v;
      const state = await lookup(v.urn);
      // A Secrets Manager secret has its arn; an RDS instance with a managed password names it in masterUserSecrets.
      const managed = (state.masterUserSecrets as Array<{ secretArn?: string }> | undefined)?.[0]?.secretArn;
      const arn = typeof state.arn === "string" && state.arn.startsWith("arn:aws:secretsmanager") ? state.arn : managed;
      if (!arn) throw new Error(`${name}: no secret ARN for ${v.urn} in the stack`);
      return { ...v, arn };
    }
    case "template": {
      const parts: Record<string, RuntimeValue> = {};
      for (const [k, p] of Object.entries(v.parts)) parts[k] = await concrete(name, p, lookup);
      return { ...v, parts };
    }
    case "file":
      return { ...v, content: (await concrete(name, v.content, lookup)) as typeof v.content };
    default:
      return v;
  }
}
