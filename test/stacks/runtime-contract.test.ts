/**
 * The runtime the stacks produce and the service's own config parser are one contract: for every stage and tier, the
 * environment (resolved with placeholder values) parses, and every name it sets is one the parser knows. Renaming a
 * setting on either side fails it.
 */
import { expect } from "chai";
import { writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import type { Plan } from "../../stacks/plan.ts";
import { resolveEnv, type RuntimeBackend } from "../../runtime/resolve.ts";
import { SETTINGS } from "../../runtime/settings.ts";
import type { RuntimeValue, TierRuntime } from "../../runtime/sources.ts";
import { tempDir } from "../support/tmp.ts";
import { allPlans } from "./support/plans.ts";

type Parser = (env: Record<string, string>) => Record<string, unknown>;

// Values with the right shape: a host, a port, a secret. The files are written, as the boot program would.
const placeholders: RuntimeBackend = {
  output: async (v) => {
    if (v.output === "port" || v.output.endsWith("Port")) return "3306";
    if (v.output === "url") return "https://sqs.placeholder.internal/123456789012/queue";
    return `${v.output.toLowerCase()}.placeholder.internal`;
  },
  secret: async () => "placeholder-secret",
  generated: async () => "placeholder-generated",
};

/** Settings the AWS SDK reads, not the service's parser. */
const SDK_NAMES = new Set(SETTINGS.filter((s) => s.readers.every((r) => r === "aws-sdk")).map((s) => s.name));

/** What is wrong between one environment of a tier and the parser: empty when they agree. */
async function disagreements(env: Record<string, RuntimeValue>, parse: Parser, secretsDir: string): Promise<string[]> {
  const resolved = await resolveEnv(env, placeholders, { secretsDir });
  for (const file of resolved.files) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content);
  }
  let config: Record<string, unknown>;
  try {
    config = parse(resolved.env);
  } catch (error) {
    return [(error as Error).message];
  }
  return Object.keys(resolved.env).filter((name) => !SDK_NAMES.has(name) && !(name in config))
    .map((name) => `${name} is not a setting the service's parser knows`);
}

async function check(runtime: TierRuntime, parse: Parser): Promise<string[]> {
  const dir = tempDir("runtime-contract");
  return [
    ...(await disagreements(runtime.env, parse, join(dir, "service"))),
    ...(runtime.migrate ? (await disagreements(runtime.migrate, parse, join(dir, "migrate"))).map((m) => `migration step: ${m}`) : []),
  ];
}

const service: Parser = (env) => loadConfig(env) as unknown as Record<string, unknown>;

describe("runtime contract: the stacks' runtime is what the service's parser reads", function () {
  this.timeout(120_000);
  let plans: Plan[];
  before(async () => { plans = await allPlans(); });

  it("parses every tier's environment and migration step at every stage, every name known", async () => {
    for (const plan of plans) {
      for (const runtime of plan.runtime) {
        expect(await check(runtime, service), `stage ${plan.stage} ${runtime.tier}`).to.deep.equal([]);
      }
    }
  });

  it("reads the values the stacks mean: proxy hops, no migration at start, TLS on RDS", async () => {
    const write = plans[3]!.runtime.find((r) => r.tier === "write")!;
    const resolved = await resolveEnv(write.env, placeholders, { secretsDir: tempDir("runtime-values") });
    for (const file of resolved.files) await writeFile(file.path, file.content);
    const config = service(resolved.env);
    expect(config).to.include({ HOST: "0.0.0.0", PORT: 8080, TRUST_PROXY: 2, MIGRATE_ON_START: false, DATABASE_TLS: "verify" });
    expect(String(config.REDIS_URL)).to.match(/^rediss:\/\/:placeholder-secret@/);
    expect(config.DATABASE_REPLICA_URLS).to.have.length(2);
  });

  it("gives stage 5's tiers the queue and the buckets, and the worker the archive age, as the parser reads them", async () => {
    const stage5 = plans[5]!;
    for (const tier of ["read", "write", "worker"]) {
      const runtime = stage5.runtime.find((r) => r.tier === tier)!;
      expect(runtime.env.QUEUE_URL, tier).to.deep.include({ from: "output", output: "url" });
      expect((runtime.env.QUEUE_URL as { urn: string }).urn).to.match(/aws:sqs\/queue:Queue::jobs-jobs$/);
      expect((runtime.env.UPLOADS_BUCKET as { urn: string }).urn, tier).to.match(/aws:s3\/bucket:Bucket::uploads-bucket$/);
      expect((runtime.env.ARCHIVE_BUCKET as { urn: string }).urn, tier).to.match(/aws:s3\/bucket:Bucket::archive-bucket$/);
      expect(runtime.env.ARCHIVE_AFTER_DAYS, tier).to.equal(tier === "worker" ? "90" : undefined);
    }
    const worker = stage5.runtime.find((r) => r.tier === "worker")!;
    const dir = tempDir("runtime-values");
    const resolved = await resolveEnv(worker.env, placeholders, { secretsDir: dir });
    for (const file of resolved.files) await writeFile(file.path, file.content);
    expect(service(resolved.env)).to.include({ QUEUE_URL: "https://sqs.placeholder.internal/123456789012/queue", UPLOADS_BUCKET: "bucket.placeholder.internal", ARCHIVE_BUCKET: "bucket.placeholder.internal", ARCHIVE_AFTER_DAYS: 90 });
    for (const plan of plans.slice(0, 5)) {
      for (const runtime of plan.runtime) expect(runtime.env, `stage ${plan.stage} ${runtime.tier}`).not.to.have.any.keys("QUEUE_URL", "UPLOADS_BUCKET", "ARCHIVE_BUCKET", "ARCHIVE_AFTER_DAYS");
    }
  });

  it("fails when the stacks rename a setting", async () => {
    const renamed = structuredClone(plans[2]!.runtime[0]!);
    renamed.env.BIND_HOST = renamed.env.HOST!;
    delete renamed.env.HOST;
    expect(await check(renamed, service)).to.deep.equal(["BIND_HOST is not a setting the service's parser knows"]);
  });

  it("fails when the service renames a setting", async () => {
    for (const [stage, tier, name] of [[3, "write", "HOST"], [3, "write", "DATABASE_PASSWORD_FILE"], [3, "write", "TRUST_PROXY"], [3, "write", "DATABASE_ADMIN_URL"], [5, "worker", "QUEUE_URL"], [5, "write", "UPLOADS_BUCKET"], [5, "worker", "ARCHIVE_BUCKET"], [5, "worker", "ARCHIVE_AFTER_DAYS"]] as const) {
      // The parser as it would be with `name` called something else: it no longer reads `name`.
      const renamedParser: Parser = (env) => {
        const { [name]: value, ...rest } = service(env);
        return { ...rest, [`${name}_RENAMED`]: value };
      };
      const runtime = plans[stage]!.runtime.find((r) => r.tier === tier)!;
      expect((await check(runtime, renamedParser)).join("\n"), name).to.include(`${name} is not a setting the service's parser knows`);
    }
  });

  it("fails when a value is one the service refuses", async () => {
    const bad = structuredClone(plans[1]!.runtime[0]!);
    bad.env.DATABASE_TLS = "required";
    expect((await check(bad, service)).join("\n")).to.include("DATABASE_TLS");
  });
});
