/**
 * The service's configuration, parsed once from the environment with zod into a frozen object.
 * Nothing else in app/ reads process.env. A bad value stops the start with a message naming the variable.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { replicaEnvShape } from "./db/replica-config.ts";
import { photoEnvShape } from "./photos/photo-config.ts";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}` },
  );
const emptyIsUnset = (v: unknown) => (v === "" ? undefined : v);
const optionalUrl = (protocols: string[]) => z.preprocess(emptyIsUnset, url(protocols).optional());
const flag = (fallback: "0" | "1") =>
  z.enum(["0", "1", "false", "true"]).default(fallback).transform((v) => v === "1" || v === "true");
/** A file the process must be able to read; the message names the variable, never the path's contents. */
const readableFile = z.preprocess(
  emptyIsUnset,
  z
    .string()
    .refine(
      (path) => {
        try {
          accessSync(path, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { message: "cannot read that file (missing, or not readable by this user)" },
    )
    .optional(),
);

/**
 * The RDS CA bundle a release ships: `certs/rds-ca-bundle.pem` in the release root, the folder holding `dist/` that
 * this module is compiled into. undefined in a checkout (the module runs from `app/`, not from a release).
 */
export function releaseCaBundle(modulePath = fileURLToPath(import.meta.url)): string | undefined {
  const at = modulePath.lastIndexOf(`${sep}dist${sep}`);
  return at < 0 ? undefined : join(modulePath.slice(0, at), "certs", "rds-ca-bundle.pem");
}

const hasPassword = (v: string) => new URL(v).password !== "";

const envSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: intFrom(0, 65535).default(8080),
  /** mysql://user@host:3306/db; unset = the embedded SQLite default in DATA_DIR. */
  DATABASE_URL: optionalUrl(["mysql:", "mariadb:"]),
  /** Comma-separated replica URLs; read by the replica router. */
  DATABASE_REPLICA_URLS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(url(["mysql:", "mariadb:"]))),
  DATABASE_POOL_SIZE: intFrom(1, 1000).default(10),
  /** The application user's password, for the primary and every replica; re-read when the server denies access. */
  DATABASE_PASSWORD_FILE: readableFile,
  /** off: plain TCP; verify: TLS, the server's certificate checked against DATABASE_TLS_CA_FILE and its name. */
  DATABASE_TLS: z.enum(["off", "verify"]).default("off"),
  /** PEM CA bundle for DATABASE_TLS=verify; default: the release's certs/rds-ca-bundle.pem. */
  DATABASE_TLS_CA_FILE: readableFile,
  /** Replica lag bound, check interval and read-your-writes wait (app/db/replica-config.ts). */
  ...replicaEnvShape,
  /** redis://host:6379/0, or rediss://:token@host:6379 for TLS + AUTH; unset = no Redis. */
  REDIS_URL: optionalUrl(["redis:", "rediss:"]),
  /** PEM CA bundle a rediss:// server's certificate is checked against; default: the system's CAs. */
  REDIS_TLS_CA_FILE: readableFile,
  REDIS_KEY_PREFIX: z.string().default("stm:"),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Requests per client per minute; 0 turns the limiter off. */
  RATE_LIMIT_PER_MINUTE: intFrom(0, 10_000_000).default(600),
  /**
   * How many proxies in front of the service append to X-Forwarded-For (2 behind CloudFront + an ALB); the client
   * is the address the outermost of them saw. 0: the socket's peer. The old true/false mean 1/0.
   */
  TRUST_PROXY: z.preprocess((v) => (v === "true" ? "1" : v === "false" ? "0" : v), intFrom(0, 10).default(0)),
  CACHE_TTL_SECONDS: intFrom(1, 86_400 * 7).default(300),
  /**
   * In-process L1 in front of Redis: entry lifetime (0 turns L1 off; never longer than CACHE_TTL_SECONDS), and its
   * bounds. Writes reach every L1 through the invalidation feed, and L1 is off while that feed is down or silent, so
   * the lifetime bounds memory and a lost message, not ordinary staleness.
   */
  CACHE_L1_TTL_MS: intFrom(0, 3_600_000).default(300_000),
  CACHE_L1_MAX_ENTRIES: intFrom(1, 10_000_000).default(50_000),
  CACHE_L1_MAX_MB: intFrom(1, 65_536).default(64),
  /** How long a 404 is remembered (0: not at all). */
  CACHE_NEGATIVE_TTL_SECONDS: intFrom(0, 3600).default(5),
  /** The fill lease on a cold key, and how long other processes wait for its filler before reading the database. */
  CACHE_FILL_LEASE_MS: intFrom(10, 60_000).default(2000),
  CACHE_FILL_WAIT_MS: intFrom(0, 10_000).default(300),
  SESSION_TTL_SECONDS: intFrom(60, 86_400 * 365).default(86_400 * 7),
  /**
   * Admission control (app/http/admission.ts): API requests in progress in this process beyond which new ones are
   * answered 503 at once, the event-loop delay beyond which they are, and the Retry-After those answers carry. 0: off.
   * The delay limit is off by default: on a CPU-starved shared host the loop runs late without this process being
   * over its capacity (measured: it refused a third of a benchmark's reads at load average 24 on 2 cores).
   */
  ADMISSION_MAX_IN_FLIGHT: intFrom(0, 1_000_000).default(1024),
  ADMISSION_MAX_LAG_MS: intFrom(0, 60_000).default(0),
  ADMISSION_RETRY_AFTER_SECONDS: intFrom(1, 3600).default(1),
  SHUTDOWN_DEADLINE_MS: intFrom(0, 600_000).default(10_000),
  MIGRATE_ON_START: flag("1"),
  /** Photos and stage 5's queue (docs/app.md, "Photos"): unset buckets/queue = a folder in DATA_DIR and an in-process queue. */
  ...photoEnvShape,
  /** Bearer token for /admin/*; unset = the admin endpoints answer 404. */
  ADMIN_TOKEN: z.preprocess(emptyIsUnset, z.string().min(16).optional()),
  /** For the migration step only (app/migrate.ts): an account that may create the database, users and tables. */
  DATABASE_ADMIN_URL: optionalUrl(["mysql:", "mariadb:"]),
  DATABASE_ADMIN_PASSWORD_FILE: readableFile,
});

type Env = z.infer<typeof envSchema>;

/** Rules between variables; each issue names the variable to change. */
function crossCheck(env: Env, ctx: z.RefinementCtx) {
  const issue = (variable: keyof Env, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });
  if (env.DATABASE_REPLICA_URLS.length > 0 && !env.DATABASE_URL) {
    issue("DATABASE_REPLICA_URLS", "replicas need a primary: set DATABASE_URL too, or leave DATABASE_REPLICA_URLS empty");
  }
  if (env.DATABASE_PASSWORD_FILE && !env.DATABASE_URL) issue("DATABASE_PASSWORD_FILE", "needs DATABASE_URL (the user it is the password of)");
  if (env.DATABASE_PASSWORD_FILE && [env.DATABASE_URL ?? "", ...env.DATABASE_REPLICA_URLS].some((u) => u && hasPassword(u))) {
    issue("DATABASE_PASSWORD_FILE", "is set, so DATABASE_URL and DATABASE_REPLICA_URLS must carry no password: keep it in one place");
  }
  if (env.DATABASE_TLS === "verify" && !env.DATABASE_URL) issue("DATABASE_TLS", "verify needs DATABASE_URL (the embedded SQLite has no connection)");
  if (env.DATABASE_TLS_CA_FILE && env.DATABASE_TLS !== "verify") issue("DATABASE_TLS_CA_FILE", "is only used with DATABASE_TLS=verify");
  const bundle = releaseCaBundle();
  if (env.DATABASE_TLS === "verify" && !env.DATABASE_TLS_CA_FILE && bundle && !existsSync(bundle)) {
    issue("DATABASE_TLS_CA_FILE", "is unset and this release has no certs/rds-ca-bundle.pem: set it to a CA bundle");
  }
  if (env.REDIS_TLS_CA_FILE && !env.REDIS_URL?.startsWith("rediss:")) issue("REDIS_TLS_CA_FILE", "needs a rediss:// REDIS_URL (TLS)");
  if (env.DATABASE_ADMIN_PASSWORD_FILE && env.DATABASE_ADMIN_URL && hasPassword(env.DATABASE_ADMIN_URL)) {
    issue("DATABASE_ADMIN_PASSWORD_FILE", "is set, so DATABASE_ADMIN_URL must carry no password: keep it in one place");
  }
}

const schema = envSchema.superRefine(crossCheck).transform((env) => ({
  ...env,
  /** Where the CA bundle comes from: the variable, the release's bundle, or (development) the RDS CAs in npm. */
  DATABASE_TLS_CA_FILE: env.DATABASE_TLS_CA_FILE ?? (env.DATABASE_TLS === "verify" ? releaseCaBundle() : undefined),
}));

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {}

/**
 * Parse the environment; throws ConfigError naming each bad variable (never echoing its value: it may be a secret).
 * `overrides` (command-line flags of the migration step) take the place of the variables they name.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string | undefined> = {}): Config {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse({ ...env, ...given });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
