/**
 * The stack configuration: Pulumi config under the project's namespace, parsed once into a frozen typed object.
 * Every error names the key and the values it allows, before anything is registered.
 */
import { z } from "zod";
import { STAGE_IDS } from "./stages.ts";

/** The Pulumi project name, which is also the config namespace (`scale-to-millions:stage`). */
export const PROJECT = "scale-to-millions";

/** A configuration value is missing or wrong. `key` is the config key, `allowed` what it accepts. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
  constructor(
    readonly key: string,
    readonly allowed: string,
    problem: string,
  ) {
    super(`config "${PROJECT}:${key}": ${problem}; allowed: ${allowed}`);
  }
}

/** A release version as `scale release build` names it (`scale-app-<version>.tar.gz`). */
const RELEASE_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const capacity = (min: number, max: number, desired: number) =>
  z.object({ min: z.number().int().min(0), max: z.number().int().min(1), desired: z.number().int().min(0) })
    .default({ min, max, desired })
    .refine((c) => c.min <= c.desired && c.desired <= c.max, "needs min <= desired <= max");

const schema = z.object({
  stage: z.number().refine((n) => (STAGE_IDS as readonly number[]).includes(n)),
  domain: z.string().regex(HOSTNAME),
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/),
  sshAllowlist: z.array(z.cidrv4().refine((c) => c !== "0.0.0.0/0")).default([]),
  azCount: z.number().int().min(1).max(6).default(2),
  instanceTypes: z
    .object({
      box: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("t3.small"),
      read: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("t3.small"),
      write: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("t3.small"),
      worker: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("t3.small"),
    })
    .default({ box: "t3.small", read: "t3.small", write: "t3.small", worker: "t3.small" }),
  boxDataVolumeGiB: z.number().int().min(8).max(16384).default(50),
  dbInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/).default("db.t3.medium"),
  dbStorageGiB: z.number().int().min(20).max(65536).default(50),
  dbMaxStorageGiB: z.number().int().min(20).max(65536).default(500),
  replicaCount: z.number().int().min(0).max(5).default(2),
  cacheNodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/).default("cache.t3.small"),
  cacheAuthToken: z.string().min(16).max(128).regex(/^[^"@/ ]+$/).optional(),
  capacity: z
    .object({ read: capacity(2, 10, 2), write: capacity(2, 4, 2), worker: capacity(1, 10, 1) })
    .default({ read: { min: 2, max: 10, desired: 2 }, write: { min: 2, max: 4, desired: 2 }, worker: { min: 1, max: 10, desired: 1 } }),
  schedule: z
    .object({
      timeZone: z.string().min(1).default("America/New_York"),
      businessHoursStart: z.string().regex(/^\S+ \S+ \S+ \S+ \S+$/).default("0 8 * * MON-FRI"),
      businessHoursEnd: z.string().regex(/^\S+ \S+ \S+ \S+ \S+$/).default("0 19 * * MON-FRI"),
      businessHoursMinRead: z.number().int().min(1).default(4),
    })
    .optional(),
  alertEndpoint: z.union([z.email(), z.url({ protocol: /^https$/ })]).optional(),
  release: z.strictObject({
    version: z.string().regex(RELEASE_VERSION),
    artifact: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }).refine((r) => r.artifact.endsWith(`/scale-app-${r.version}.tar.gz`), { path: ["artifact"] }),
  // S3 refuses a transition to Standard-IA (the uploads bucket's) before 30 days.
  archiveAfterDays: z.number().int().min(30).max(3650).default(90),
  warehouse: z.boolean().default(false),
  keepSingleBox: z.boolean().default(false),
});

/** The parsed, validated stack configuration. */
export type StackConfig = Readonly<z.infer<typeof schema>>;

/** For each key, the values it allows: the second half of every error message. */
const ALLOWED: Record<string, string> = {
  stage: STAGE_IDS.join(", "),
  domain: "a lower-case DNS name such as app.example.com",
  hostedZoneId: "a Route 53 hosted zone id such as Z0123456789ABC",
  sshAllowlist: "a list of IPv4 CIDRs such as 203.0.113.7/32, never 0.0.0.0/0; empty (the default) opens no port 22",
  azCount: "an integer from 1 to 6 (at least 2 from stage 1: RDS needs subnets in two AZs; 3 with the warehouse)",
  instanceTypes: "EC2 instance types such as t3.small, for box, read, write and worker",
  boxDataVolumeGiB: "an integer from 8 to 16384",
  dbInstanceClass: "an RDS instance class such as db.t3.medium",
  dbStorageGiB: "an integer from 20 to 65536",
  dbMaxStorageGiB: "an integer from 20 to 65536, at least dbStorageGiB",
  replicaCount: "an integer from 0 to 5",
  cacheNodeType: "an ElastiCache node type such as cache.t3.small",
  cacheAuthToken: "a secret of 16 to 128 printable characters without \", @, / or spaces (set it with --secret)",
  capacity: "{read, write, worker} each {min, max, desired} integers with min <= desired <= max",
  schedule: "{timeZone, businessHoursStart, businessHoursEnd (5-field cron), businessHoursMinRead}",
  alertEndpoint: "an email address or an https:// URL (e.g. a PagerDuty endpoint)",
  release: "{version, artifact: s3://bucket/.../scale-app-<version>.tar.gz, sha256: the archive's 64 hex digits} (what `scale release build` prints)",
  archiveAfterDays: "an integer from 30 to 3650 (S3 moves objects to Standard-IA after 30 days at the earliest)",
  warehouse: "true or false (true needs azCount 3 or more: Redshift Serverless wants subnets in three AZs)",
  keepSingleBox: "true or false",
};

/** Config values arrive as strings from the engine and as YAML values from a file; read both. */
function coerce(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\]|\{.*\})$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Parses raw config (keys with or without the `scale-to-millions:` prefix; other namespaces such as `aws:` are
 * ignored) into a StackConfig. Throws StackConfigError naming the first bad key.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>): StackConfig {
  const ours: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.includes(":") && !key.startsWith(`${PROJECT}:`)) continue;
    ours[key.replace(`${PROJECT}:`, "")] = coerce(value);
  }
  const unknown = Object.keys(ours).filter((k) => !(k in ALLOWED));
  if (unknown.length > 0) {
    throw new StackConfigError(unknown[0]!, `one of ${Object.keys(ALLOWED).join(", ")}`, "unknown key");
  }
  const result = schema.safeParse(ours);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? "stage");
    const where = issue.path.length > 1 ? ` at ${issue.path.join(".")}` : "";
    const got = issue.path.reduce<unknown>((v, p) => (v as Record<PropertyKey, unknown> | undefined)?.[p], ours);
    const problem = got === undefined ? "is required" : `${JSON.stringify(key === "cacheAuthToken" ? "[secret]" : got)}${where} is not allowed`;
    throw new StackConfigError(key, ALLOWED[key] ?? "see Pulumi.example.yaml", problem);
  }
  const config = result.data;
  if (config.azCount < 2 && config.stage >= 1) {
    throw new StackConfigError("azCount", ALLOWED.azCount!, `${config.azCount} AZ is too few at stage ${config.stage}`);
  }
  if (config.warehouse && config.azCount < 3) {
    throw new StackConfigError("warehouse", ALLOWED.warehouse!, `true with azCount ${config.azCount} is not allowed`);
  }
  if (config.dbMaxStorageGiB < config.dbStorageGiB) {
    throw new StackConfigError("dbMaxStorageGiB", ALLOWED.dbMaxStorageGiB!, `${config.dbMaxStorageGiB} is below dbStorageGiB`);
  }
  if (config.stage >= 3 && config.cacheAuthToken === undefined) {
    throw new StackConfigError("cacheAuthToken", ALLOWED.cacheAuthToken!, `is required from stage 3`);
  }
  return Object.freeze(config);
}
