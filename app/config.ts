/**
 * The service's configuration, parsed once from the environment with zod into a frozen object.
 * Nothing else in app/ reads process.env. A bad value stops the start with a message naming the variable.
 */
import { z } from "zod";
import { replicaEnvShape } from "./db/replica-config.ts";

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
const optionalUrl = (protocols: string[]) =>
  z.preprocess((v) => (v === "" ? undefined : v), url(protocols).optional());

const envSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: intFrom(0, 65535).default(8080),
  /** mysql://user:pass@host:3306/db; unset = the embedded SQLite default in DATA_DIR. */
  DATABASE_URL: optionalUrl(["mysql:", "mariadb:"]),
  /** Comma-separated replica URLs; read by the replica router (issue 4). */
  DATABASE_REPLICA_URLS: z
    .string()
    .default("")
    .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(url(["mysql:", "mariadb:"]))),
  DATABASE_POOL_SIZE: intFrom(1, 1000).default(10),
  /** Replica lag bound, check interval and read-your-writes wait (app/db/replica-config.ts). */
  ...replicaEnvShape,
  /** redis://host:6379/0; unset = in-process cache, sessions and rate limiter. */
  REDIS_URL: optionalUrl(["redis:", "rediss:"]),
  REDIS_KEY_PREFIX: z.string().default("stm:"),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Requests per client per minute; 0 turns the limiter off. */
  RATE_LIMIT_PER_MINUTE: intFrom(0, 10_000_000).default(600),
  /** Use the last X-Forwarded-For hop (the load balancer's) as the client address. */
  TRUST_PROXY: z.enum(["0", "1", "false", "true"]).default("0").transform((v) => v === "1" || v === "true"),
  CACHE_TTL_SECONDS: intFrom(1, 86_400 * 7).default(300),
  /** In-process L1 in front of Redis: entry lifetime (0 turns L1 off), and its bounds. */
  CACHE_L1_TTL_MS: intFrom(0, 60_000).default(1000),
  CACHE_L1_MAX_ENTRIES: intFrom(1, 10_000_000).default(10_000),
  CACHE_L1_MAX_MB: intFrom(1, 65_536).default(64),
  /** How long a 404 is remembered (0: not at all). */
  CACHE_NEGATIVE_TTL_SECONDS: intFrom(0, 3600).default(5),
  /** The fill lease on a cold key, and how long other processes wait for its filler before reading the database. */
  CACHE_FILL_LEASE_MS: intFrom(10, 60_000).default(2000),
  CACHE_FILL_WAIT_MS: intFrom(0, 10_000).default(300),
  SESSION_TTL_SECONDS: intFrom(60, 86_400 * 365).default(86_400 * 7),
  SHUTDOWN_DEADLINE_MS: intFrom(0, 600_000).default(10_000),
  MIGRATE_ON_START: z.enum(["0", "1", "false", "true"]).default("1").transform((v) => v === "1" || v === "true"),
  /** Bearer token for /admin/*; unset = the admin endpoints answer 404. */
  ADMIN_TOKEN: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(16).optional()),
}).superRefine((env, ctx) => {
  if (env.DATABASE_REPLICA_URLS.length > 0 && !env.DATABASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["DATABASE_REPLICA_URLS"],
      message: "replicas need a primary: set DATABASE_URL too, or leave DATABASE_REPLICA_URLS empty",
    });
  }
});

export type Config = Readonly<z.infer<typeof envSchema>>;

export class ConfigError extends Error {}

/** Parse the environment; throws ConfigError naming each bad variable (never echoing its value: it may be a secret). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration in the environment:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
