/**
 * A tier's environment on a local stage: the plan's `runtime` for the tier, resolved against the local stand-ins
 * (outputs from the servers' ports, secrets made once and kept in DIR/secrets), then the local differences put where
 * AWS's would be: one proxy hop (HAProxy) instead of CloudFront + ALB, no TLS on the loopback, the S3/SQS stand-ins.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { generatedSecret } from "../runtime/generated.ts";
import { resolveEnv, writeResolved, type RuntimeBackend } from "../runtime/resolve.ts";
import { MARIADB } from "../runtime/servers.ts";
import { urnName, type RuntimeValue } from "../runtime/sources.ts";
import { outputStandIn, type Topology } from "./forms.ts";
import { mariadbSocket } from "./servers.ts";

/** What the local stage knows that settings are made of. */
export interface LocalFacts {
  dir: string;
  topology: Topology;
  /** Each server's port, by component name. */
  ports: Record<string, number>;
  /** The S3/SQS stand-ins' endpoints and queue URLs, once they run (stage 5). */
  aws?: { s3?: string; sqs?: string; queues: Record<string, string> };
}

export const secretsFolder = (dir: string) => join(dir, "secrets");

/** Secrets the stacks keep in Secrets Manager: made once per DIR, named after the secret's resource (and field). */
export function localBackend(facts: LocalFacts): RuntimeBackend {
  const secrets = secretsFolder(facts.dir);
  return {
    async output({ urn, output }) {
      const standIn = outputStandIn(facts.topology, urn, output);
      if ("bucket" in standIn) return localBucket(standIn.bucket);
      if ("queue" in standIn) {
        const url = facts.aws?.queues[standIn.queue];
        if (!url) throw new Error(`the queue ${standIn.queue} has no URL yet: the SQS stand-in is not running`);
        return url;
      }
      if (standIn.fact === "host") return "127.0.0.1";
      const port = facts.ports[standIn.component];
      if (port === undefined) throw new Error(`${standIn.component} has no port yet`);
      return String(port);
    },
    secret: ({ urn, field }) => generatedSecret(join(secrets, "aws"), `${urnName(urn)}${field ? `.${field.toLowerCase()}` : ""}`),
    generated: ({ name }) => generatedSecret(join(secrets, "generated"), name),
  };
}

/** The local path of the box database's socket, where the box has /var/lib/mysql/mysql.sock. */
export const boxSocket = (facts: LocalFacts) => mariadbSocket(join(facts.dir, "data", "mariadb-box"));

/**
 * Resolves `env` for the local stage and writes its secret files (0400) under DIR/secrets/run/<hash>/, so processes
 * of another generation keep reading their own. Returns the environment with the local differences applied.
 */
export async function localEnv(facts: LocalFacts, env: Record<string, RuntimeValue>, overrides: Record<string, string>): Promise<Record<string, string>> {
  const key = createHash("sha256").update(JSON.stringify(env)).digest("hex").slice(0, 12);
  const secretsDir = join(secretsFolder(facts.dir), "run", key);
  const resolved = await resolveEnv(env, localBackend(facts), { secretsDir });
  await writeResolved(resolved, { envFile: join(secretsDir, "env") });
  const out = { ...resolved.env };
  if (out.HOST !== undefined) out.HOST = "127.0.0.1";
  // HAProxy is the only proxy in front of a local server: one X-Forwarded-For hop (CloudFront and the ALB make two).
  if (out.TRUST_PROXY !== undefined) out.TRUST_PROXY = "1";
  // The loopback needs no TLS: the local MariaDB and Redis serve plain TCP (RDS and ElastiCache require TLS).
  if (out.DATABASE_TLS !== undefined) out.DATABASE_TLS = "off";
  delete out.DATABASE_TLS_CA_FILE;
  if (out.REDIS_URL) out.REDIS_URL = out.REDIS_URL.replace(/^rediss:/, "redis:");
  if (out.DATABASE_ADMIN_URL) {
    out.DATABASE_ADMIN_URL = out.DATABASE_ADMIN_URL.replace(encodeURIComponent(MARIADB.boxSocket), encodeURIComponent(boxSocket(facts)));
  }
  Object.assign(out, photoSettings(facts));
  return { LOG_LEVEL: "warn", ...out, ...overrides };
}

/**
 * Stage 5's S3 and SQS endpoints: the runtime names the buckets and the queue (resolved above against the stand-in);
 * where AWS's SDK finds the regional endpoints and the instance role, a local process is pointed at the stand-in.
 */
function photoSettings(facts: LocalFacts): Record<string, string> {
  const { aws } = facts;
  if (!aws) return {};
  return {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local-stand-in",
    ...(aws.s3 ? { S3_ENDPOINT: aws.s3 } : {}),
    ...(aws.sqs ? { SQS_ENDPOINT: aws.sqs } : {}),
  };
}

/** A plan bucket's local name: the resource name without `-bucket` (`uploads-bucket` → `uploads`). */
export const localBucket = (resource: string) => resource.replace(/-bucket$/, "");
