/**
 * Where a server's setting comes from. The stacks describe each tier's environment with these values; the plan shows
 * them (with the URN of the resource a value comes from), the boot program resolves them on a server, and the local
 * stages resolve the same objects against their local stand-ins. No secret value is ever held in one of these.
 */
import { z } from "zod";

/** A compute tier: the stage-0/1 box, the read and write app tiers behind the load balancer, stage 5's workers. */
export type Tier = "box" | "read" | "write" | "worker";

export const TIERS: readonly Tier[] = Object.freeze(["box", "read", "write", "worker"]);

/**
 * An attribute of a resource the stack manages (the RDS primary's `address`, a bucket's `bucket`, a queue's `url`).
 * Only the plan carries these: in the runtime a server gets, outputs are already concrete strings.
 */
export interface OutputValue {
  from: "output";
  urn: string;
  output: string;
}

/**
 * A value kept in Secrets Manager (a managed master password, the Redis AUTH token, the application user's password).
 * `urn` names the secret or the resource that owns it; `field` picks one key of a JSON secret. `arn` is there once the
 * secret exists (the runtime a server gets); the plan has only the URN. An ARN is not secret.
 */
export interface SecretValue {
  from: "secret";
  urn: string;
  arn?: string;
  field?: string;
}

/**
 * A string assembled from parts, e.g. `mysql://app@{host}:{port}/app`. Each `{name}` is replaced by its part,
 * percent-encoded (templates build URLs: a token with `#` or `:` must not break one).
 */
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

/**
 * A secret delivered as a file rather than in the environment: the setting's value is the file's path, the file
 * (mode 0400, in the secrets folder, named `name`) holds the content. The boot program keeps it fresh, so a rotated
 * password reaches a running service that re-reads the file.
 */
export interface FileValue {
  from: "file";
  name: string;
  content: SecretValue | GeneratedValue;
}

export type RuntimeValue = string | OutputValue | SecretValue | TemplateValue | GeneratedValue | FileValue;

/** The environment one tier's processes get. */
export interface TierRuntime {
  tier: Tier;
  /** The service's (and the worker's) environment. */
  env: Record<string, RuntimeValue>;
  /**
   * The migration step's environment, on the tier that runs it (the box, then the write tier): admin credentials to
   * create the database and the application user, then the schema. Absent on tiers that never migrate.
   */
  migrate?: Record<string, RuntimeValue>;
}

const FILE_NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

const secretSchema = z.strictObject({ from: z.literal("secret"), urn: z.string().min(1), arn: z.string().startsWith("arn:").optional(), field: z.string().min(1).optional() });
const generatedSchema = z.strictObject({ from: z.literal("generated"), name: z.string().regex(FILE_NAME) });
const valueSchema: z.ZodType<RuntimeValue> = z.lazy(() => z.union([
  z.string(),
  z.strictObject({ from: z.literal("output"), urn: z.string().min(1), output: z.string().min(1) }),
  secretSchema,
  z.strictObject({ from: z.literal("template"), template: z.string(), parts: z.record(z.string(), valueSchema) }),
  generatedSchema,
  z.strictObject({ from: z.literal("file"), name: z.string().regex(FILE_NAME), content: z.union([secretSchema, generatedSchema]) }),
]));
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const envSchema = z.record(z.string().regex(ENV_NAME), valueSchema);
const tierRuntimeSchema = z.strictObject({ tier: z.enum(["box", "read", "write", "worker"]), env: envSchema, migrate: envSchema.optional() });

/**
 * Reads a tier's runtime document (`/etc/scale-app/runtime.json`): throws an Error naming the first bad field.
 * The boot program calls this before it resolves anything.
 */
export function parseTierRuntime(text: string): TierRuntime {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`the runtime document is not JSON: ${(error as Error).message}`);
  }
  const parsed = tierRuntimeSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`the runtime document is invalid at ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The resource type a URN names (`aws:rds/instance:Instance`): the local stages map it to a stand-in. */
export function urnType(urn: string): string {
  const qualified = urn.split("::")[2];
  if (!qualified) throw new Error(`not a Pulumi URN: ${urn}`);
  return qualified.split("$").pop()!;
}

/** The resource name a URN ends with (`db-primary`). */
export function urnName(urn: string): string {
  const name = urn.split("::")[3];
  if (!name) throw new Error(`not a Pulumi URN: ${urn}`);
  return name;
}
