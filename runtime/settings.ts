/**
 * The runtime contract: every setting a server gets, which tiers get it, and where its value comes from. The stacks
 * build each tier's runtime here (`tierRuntime`), the plan shows it, the boot program resolves it (`resolve.ts`),
 * and the service's own parser (`app/config.ts`) reads the same names; a test holds the two together.
 */
import type { FileValue, OutputValue, RuntimeValue, SecretValue, Tier, TierRuntime } from "./sources.ts";
import { ADMIN_DATABASE_USER, APP_DATABASE_USER, APP_PORT, DATABASE_NAME, MARIADB } from "./servers.ts";

/** A resource attribute: its URN and output name, and its value once known (the runtime a server gets). */
export interface Attribute {
  urn: string;
  output: string;
  value?: string;
}

/** A Secrets Manager secret (or the resource owning it): ARN once known, and a JSON field to pick. */
export interface SecretRef {
  urn: string;
  arn?: string;
  field?: string;
}

/** A host and port, e.g. the RDS primary's `address` and `port`. */
export interface Endpoint {
  host: Attribute;
  port: Attribute;
}

/** What the stage provides that settings are made of. */
export interface RuntimeFacts {
  region: string;
  /** The box's own MariaDB (stage 0), or RDS (from stage 1). */
  database:
    | { kind: "box"; endpoint: Endpoint }
    | { kind: "rds"; primary: Endpoint; replicas: Endpoint[]; appPassword: SecretRef; master: SecretRef };
  /** ElastiCache (from stage 3): the primary endpoint and the AUTH token's secret. */
  cache?: { primary: Endpoint; authToken: SecretRef };
  /** Stage 5's photo job queue: its URL. */
  queue?: { url: Attribute };
  /** Stage 5's buckets: photos' originals and thumbnails, and old items; how many days make an item old. */
  uploads?: { bucket: Attribute };
  archive?: { bucket: Attribute; afterDays: number };
}

/** How one tier runs. */
export interface TierProfile {
  tier: Tier;
  /** Proxies in front of it that add an X-Forwarded-For hop (CloudFront, the ALB); absent: it serves no HTTP. */
  proxyHops?: number;
  /** It runs the migration step before the service starts (the box, then the write tier). */
  migrates: boolean;
}

/**
 * `plan`: outputs as {from: "output", urn} and secrets by URN (what `scale stage plan` shows).
 * `server`: outputs as their values and secrets with their ARNs (what user data carries to a server).
 */
export type RuntimeForm = "plan" | "server";

/** Who reads a setting: the service (`app/config.ts`), the migration step (`bin/scale-migrate`), the AWS SDK. */
export type Reader = "app" | "migrate" | "aws-sdk";

interface Context {
  profile: TierProfile;
  facts: RuntimeFacts;
  form: RuntimeForm;
}

/** One setting of the contract. */
export interface Setting {
  name: string;
  readers: readonly Reader[];
  /** Who gets it, and where its value comes from (the docs' table). */
  summary: string;
  /** Its value for one tier at one stage, or undefined when that tier does not get it. */
  value(ctx: Context): RuntimeValue | undefined;
}

const rds = (ctx: Context) => (ctx.facts.database.kind === "rds" ? ctx.facts.database : undefined);

/** Every setting a server gets, in the order a runtime lists them. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  {
    name: "HOST", readers: ["app"], summary: "every serving tier: `0.0.0.0` (the proxies in front reach it over the VPC)",
    value: (ctx) => (ctx.profile.proxyHops === undefined ? undefined : "0.0.0.0"),
  },
  {
    name: "PORT", readers: ["app"], summary: `every serving tier: \`${APP_PORT}\` (what CloudFront and the target groups call)`,
    value: (ctx) => (ctx.profile.proxyHops === undefined ? undefined : String(APP_PORT)),
  },
  {
    name: "TRUST_PROXY", readers: ["app"],
    summary: "every serving tier: the hops in front of it, `1` for the box behind CloudFront, `2` behind CloudFront + the ALB",
    value: (ctx) => (ctx.profile.proxyHops === undefined ? undefined : String(ctx.profile.proxyHops)),
  },
  {
    name: "MIGRATE_ON_START", readers: ["app"], summary: "every tier: `0` (the migration step runs before the service, with admin credentials)",
    value: () => "0",
  },
  {
    name: "AWS_REGION", readers: ["aws-sdk"], summary: "every tier: the stack's region (the SDK's clients and the boot program)",
    value: (ctx) => ctx.facts.region,
  },
  {
    name: "DATABASE_URL", readers: ["app", "migrate"],
    summary: `every tier: \`mysql://${APP_DATABASE_USER}@{host}:{port}/${DATABASE_NAME}\`, no password; host and port of the box's MariaDB (stage 0) or the RDS primary`,
    value: (ctx) => appUrl(ctx, ctx.facts.database.kind === "box" ? ctx.facts.database.endpoint : rds(ctx)!.primary),
  },
  {
    name: "DATABASE_TLS", readers: ["app", "migrate"], summary: "every tier: `off` on the box's own MariaDB, `verify` on RDS",
    value: (ctx) => (rds(ctx) ? "verify" : "off"),
  },
  {
    name: "DATABASE_PASSWORD_FILE", readers: ["app", "migrate"],
    summary: "every tier: a file holding the application user's password, generated on the box at stage 0, from its own Secrets Manager secret on RDS",
    value: (ctx) => {
      const db = rds(ctx);
      return file("database-password", db ? secret(ctx, db.appPassword) : { from: "generated", name: "database-password" });
    },
  },
  {
    name: "DATABASE_REPLICA_URLS", readers: ["app"], summary: "every tier with read replicas (stage 3+): the replicas' URLs, comma-separated",
    value: (ctx) => {
      const replicas = rds(ctx)?.replicas ?? [];
      if (replicas.length === 0) return undefined;
      const parts: Record<string, RuntimeValue> = {};
      const urls = replicas.map((r, i) => {
        parts[`host${i + 1}`] = attribute(ctx, r.host);
        parts[`port${i + 1}`] = attribute(ctx, r.port);
        return `mysql://${APP_DATABASE_USER}@{host${i + 1}}:{port${i + 1}}/${DATABASE_NAME}`;
      });
      return { from: "template", template: urls.join(","), parts };
    },
  },
  {
    name: "REDIS_URL", readers: ["app"], summary: "every tier with a cache (stage 3+): `rediss://:{token}@{host}:{port}`, the AUTH token from its secret",
    value: (ctx) => {
      const cache = ctx.facts.cache;
      if (!cache) return undefined;
      return {
        from: "template", template: "rediss://:{token}@{host}:{port}",
        parts: { token: secret(ctx, cache.authToken), host: attribute(ctx, cache.primary.host), port: attribute(ctx, cache.primary.port) },
      };
    },
  },
  // Every tier of a stage with the queue and buckets gets them, the read tier too: a process without QUEUE_URL would
  // run the photo worker itself (in-process mode) on the shared outbox, writing thumbnails to its own disk.
  {
    name: "QUEUE_URL", readers: ["app"], summary: "every tier of a stage with the job queue (stage 5): the queue's URL (the app relays its outbox there, the worker long-polls it)",
    value: (ctx) => (ctx.facts.queue ? attribute(ctx, ctx.facts.queue.url) : undefined),
  },
  {
    name: "UPLOADS_BUCKET", readers: ["app"], summary: "every tier of a stage with the uploads bucket (stage 5): photos' originals and thumbnails",
    value: (ctx) => (ctx.facts.uploads ? attribute(ctx, ctx.facts.uploads.bucket) : undefined),
  },
  {
    name: "ARCHIVE_BUCKET", readers: ["app"], summary: "every tier of a stage with the archive bucket (stage 5): where old items go, month by month",
    value: (ctx) => (ctx.facts.archive ? attribute(ctx, ctx.facts.archive.bucket) : undefined),
  },
  {
    name: "ARCHIVE_AFTER_DAYS", readers: ["app"], summary: "the worker tier, with the archive bucket: items older than this many days move there (config `archiveAfterDays`); only the worker runs that job",
    value: (ctx) => (ctx.facts.archive && ctx.profile.tier === "worker" ? String(ctx.facts.archive.afterDays) : undefined),
  },
  {
    name: "DATABASE_ADMIN_URL", readers: ["migrate"],
    summary: `the migrating tier: root over the box's socket (stage 0), \`mysql://${ADMIN_DATABASE_USER}@{host}:{port}/\` on RDS`,
    value: (ctx) => {
      if (!ctx.profile.migrates) return undefined;
      const db = rds(ctx);
      if (!db) return `mysql://root@localhost/?socketPath=${encodeURIComponent(MARIADB.boxSocket)}`;
      return { from: "template", template: `mysql://${ADMIN_DATABASE_USER}@{host}:{port}/`, parts: { host: attribute(ctx, db.primary.host), port: attribute(ctx, db.primary.port) } };
    },
  },
  {
    name: "DATABASE_ADMIN_PASSWORD_FILE", readers: ["migrate"], summary: "the migrating tier on RDS: a file holding the master password (the RDS-managed secret)",
    value: (ctx) => {
      const db = rds(ctx);
      return ctx.profile.migrates && db ? file("database-admin-password", secret(ctx, db.master)) : undefined;
    },
  },
] satisfies Setting[]);

/** The names the service's parser must know (the contract test checks them against `app/config.ts`). */
export const APP_SETTING_NAMES: readonly string[] = SETTINGS.filter((s) => s.readers.includes("app")).map((s) => s.name);

/**
 * The runtime of one tier at one stage: the service's environment, and the migration step's where the tier runs it.
 * Throws when the `server` form lacks a value or an ARN (the stacks pass them once the resources exist).
 */
export function tierRuntime(profile: TierProfile, facts: RuntimeFacts, form: RuntimeForm): TierRuntime {
  const ctx = { profile, facts, form };
  const env: Record<string, RuntimeValue> = {};
  const migrate: Record<string, RuntimeValue> = {};
  for (const setting of SETTINGS) {
    const value = setting.value(ctx);
    if (value === undefined) continue;
    if (setting.readers.includes("app") || setting.readers.includes("aws-sdk")) env[setting.name] = value;
    if (profile.migrates && (setting.readers.includes("migrate") || setting.readers.includes("aws-sdk"))) migrate[setting.name] = value;
  }
  return { tier: profile.tier, env, ...(profile.migrates ? { migrate } : {}) };
}

function attribute(ctx: Context, a: Attribute): string | OutputValue {
  if (ctx.form === "plan") return { from: "output", urn: a.urn, output: a.output };
  if (a.value === undefined) throw new Error(`the runtime needs the value of ${a.urn} ${a.output}`);
  return a.value;
}

function secret(ctx: Context, s: SecretRef): SecretValue {
  if (ctx.form === "server" && s.arn === undefined) throw new Error(`the runtime needs the ARN of the secret of ${s.urn}`);
  return { from: "secret", urn: s.urn, ...(ctx.form === "server" ? { arn: s.arn } : {}), ...(s.field ? { field: s.field } : {}) };
}

function file(name: string, content: FileValue["content"]): FileValue {
  return { from: "file", name, content };
}

function appUrl(ctx: Context, endpoint: Endpoint): RuntimeValue {
  return {
    from: "template", template: `mysql://${APP_DATABASE_USER}@{host}:{port}/${DATABASE_NAME}`,
    parts: { host: attribute(ctx, endpoint.host), port: attribute(ctx, endpoint.port) },
  };
}

/** Every secret a runtime names (the instance role's grants are exactly these ARNs). */
export function secretsOf(runtime: TierRuntime): SecretValue[] {
  const found: SecretValue[] = [];
  const walk = (v: RuntimeValue): void => {
    if (typeof v === "string") return;
    if (v.from === "secret") found.push(v);
    else if (v.from === "template") Object.values(v.parts).forEach(walk);
    else if (v.from === "file") walk(v.content);
  };
  for (const v of [...Object.values(runtime.env), ...Object.values(runtime.migrate ?? {})]) walk(v);
  return found;
}

/** The ARNs of the secrets a runtime names, once each (what its servers' role may read, and nothing else). */
export function secretArnsOf(runtime: TierRuntime): string[] {
  const arns = secretsOf(runtime).map((s) => {
    if (s.arn === undefined) throw new Error(`the runtime of the ${runtime.tier} tier names the secret of ${s.urn} without its ARN`);
    return s.arn;
  });
  return [...new Set(arns)];
}
