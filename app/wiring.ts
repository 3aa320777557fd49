/**
 * The one place that chooses adapters from configuration: MariaDB/MySQL when DATABASE_URL is set, otherwise the
 * embedded default (an SQLite file in DATA_DIR). Sessions and the rate limiter live in that database when there is
 * no REDIS_URL, so every process behind a load balancer shares them; with Redis, the limiter and the cache are in
 * Redis and sessions are in Redis in front of the database (the durable record).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { Config } from "./config.ts";
import { openDatabase, type DbHandle } from "./db/connect.ts";
import { migrateWith } from "./db/migrate.ts";
import { sql } from "kysely";
import { createItemRepository } from "./items/item.repository.ts";
import { createUserRepository } from "./users/user.repository.ts";
import { createRedisClient } from "./redis/client.ts";
import { createRedisItemCache } from "./cache/redis-item-cache.ts";
import { createMemoryItemCache } from "./cache/memory-item-cache.ts";
import { L1Cache, subscribeInvalidations } from "./cache/l1-cache.ts";
import { invalidationChannel } from "./cache/redis-item-cache.ts";
import { createRedisSessionStore } from "./sessions/redis-session-store.ts";
import { createDbSessionStore } from "./sessions/db-session-store.ts";
import { createSessionRepository, sweepExpiredSessions } from "./sessions/session.repository.ts";
import { createRedisRateLimiter } from "./rate-limit/redis-rate-limiter.ts";
import { createDbRateLimiter } from "./rate-limit/db-rate-limiter.ts";
import { mysqlAccess, databaseLabel } from "./db/mysql.ts";
import { describeError, describeTlsFailure } from "./db/connection-errors.ts";
import { createMetrics, type Metrics } from "./health/metrics.ts";
import { ReplicaRouter } from "./db/replicas.ts";
import { replicaRouterSettings } from "./db/replica-config.ts";
import { sessionReadRouter } from "./db/session-read-router.ts";
import type { ItemCache, ItemStore, RateLimiter, ReadRouter, SessionStore, UserStore } from "./ports.ts";
import type { BlobStore, JobQueue, Outbox, PhotoStore } from "./photos/ports.ts";
import { createOutbox, createPhotoRepository } from "./photos/photo.repository.ts";
import { createFolderBlobStore } from "./photos/folder-blob-store.ts";
import { createS3BlobStore, createS3Client } from "./photos/s3-blob-store.ts";
import { createMemoryJobQueue } from "./photos/memory-job-queue.ts";
import { createSqsClient, createSqsJobQueue } from "./photos/sqs-job-queue.ts";
import { startOutboxRelay, type OutboxRelay } from "./photos/outbox-relay.ts";
import { startWorker, type Worker } from "./worker/job-runner.ts";
import { createArchivedMonths, type ArchivedMonths } from "./archive/archived-months.ts";
import { createAdmission, type Admission } from "./http/admission.ts";

export interface Deps {
  config: Config;
  wiring: "embedded" | "servers";
  items: ItemStore;
  users: UserStore;
  sessions: SessionStore;
  cache: ItemCache;
  /** The in-process L1 in front of Redis; null without Redis or with CACHE_L1_TTL_MS=0. */
  l1: L1Cache | null;
  /** null when RATE_LIMIT_PER_MINUTE=0. */
  limiter: RateLimiter | null;
  reads: ReadRouter;
  logger: Logger;
  metrics: Metrics;
  photos: PhotoWiring & {
    relay: OutboxRelay;
    /** The worker in this process: the embedded default's (no QUEUE_URL); null when workers run apart. */
    worker: Worker | null;
  };
  /** Months moved to the archive: reads of their items answer 410. */
  archived: ArchivedMonths;
  /** Refuses API requests with 503 + Retry-After while this process is over its in-flight or event-loop limits. */
  admission: Admission;
  /** Readiness probes by name; each throws when its dependency does not answer. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

export interface WiringOptions {
  /** Replace the read router (issue 4's replica router plugs in here). Default: every read on the primary. */
  readRouter?: (primary: DbHandle, config: Config) => ReadRouter;
  logger?: Logger;
}

export const primaryOnly = (primary: DbHandle): ReadRouter => ({ forRead: async () => primary.db });

/** Reads over DATABASE_REPLICA_URLS with read-your-writes by GTID (docs/replicas.md); none configured: the primary. */
function replicasWhenConfigured(metrics: Metrics, logger: Logger) {
  return (primary: DbHandle, config: Config): ReadRouter => {
    if (primary.dialect !== "mysql" || config.DATABASE_REPLICA_URLS.length === 0) return primaryOnly(primary);
    const router = ReplicaRouter.create({
      primary: primary.db,
      ...replicaRouterSettings(config),
      // The same application user, TLS and password file as the primary.
      pool: { ...mysqlAccess(config).access, connectionLimit: config.DATABASE_POOL_SIZE },
      registry: metrics.registry,
      logger: logger.child({ component: "replicas" }),
    });
    return sessionReadRouter(router);
  };
}

/** Fail the start at once, in words an operator can act on, when the database cannot be reached (TLS included). */
async function checkReachable(db: DbHandle, config: Config): Promise<void> {
  try {
    await sql`select 1`.execute(db.db);
  } catch (err) {
    const where = config.DATABASE_URL ? ` at ${databaseLabel(config.DATABASE_URL)}` : "";
    // MariaDB answers a plain connection to a server with require_secure_transport=ON with access denied.
    const hint = (err as { code?: unknown }).code === "ER_ACCESS_DENIED_ERROR" && config.DATABASE_TLS === "off" ? "; if the server requires TLS, set DATABASE_TLS=verify" : "";
    throw new Error(`cannot reach the database${where}: ${describeTlsFailure(err, "DATABASE_TLS_CA_FILE") ?? describeError(err)}${hint}`, { cause: err });
  }
}

/** Log a repeating failure at most every 10 s (a down server reports on every reconnect attempt). */
function throttled(log: (err: Error) => void): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    log(err);
  };
}

export interface PhotoWiring {
  photos: PhotoStore;
  outbox: Outbox;
  /** The uploads bucket (UPLOADS_BUCKET), or the folder DATA_DIR/blobs. */
  blobs: BlobStore;
  /** SQS at QUEUE_URL, or a queue in this process. */
  queue: JobQueue;
  /** The archive bucket (ARCHIVE_BUCKET), or the folder DATA_DIR/archive. */
  archive: BlobStore;
  /** true: no QUEUE_URL, so the app process runs the worker itself. */
  inProcess: boolean;
}

/** The primary database as the configuration names it; the app and the worker process open it the same way. */
export function openPrimary(config: Config, poolSize = config.DATABASE_POOL_SIZE): DbHandle {
  return openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize, access: mysqlAccess(config).access });
}

/** The photo feature's and the archive job's adapters, for the app and the worker process alike. */
export function photoAdapters(config: Config, db: DbHandle): PhotoWiring {
  const s3 = config.UPLOADS_BUCKET || config.ARCHIVE_BUCKET ? createS3Client({ region: config.AWS_REGION, endpoint: config.S3_ENDPOINT }) : undefined;
  const bucketOr = (bucket: string | undefined, folder: string) => (bucket ? createS3BlobStore(s3!, bucket) : createFolderBlobStore(join(config.DATA_DIR, folder)));
  return {
    photos: createPhotoRepository(db),
    outbox: createOutbox(db),
    blobs: bucketOr(config.UPLOADS_BUCKET, "blobs"),
    archive: bucketOr(config.ARCHIVE_BUCKET, "archive"),
    queue: config.QUEUE_URL
      ? createSqsJobQueue(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT }), config.QUEUE_URL)
      : createMemoryJobQueue(),
    inProcess: !config.QUEUE_URL,
  };
}

/** Relay the outbox; with the in-process queue also requeue what a restart lost and make thumbnails here. */
async function startPhotoWork(config: Config, adapters: PhotoWiring, logger: Logger) {
  const relay = startOutboxRelay({ outbox: adapters.outbox, queue: adapters.queue, logger: logger.child({ component: "outbox" }) });
  if (!adapters.inProcess) return { relay, worker: null };
  // This process is the only consumer of its queue, so a pending photo whose outbox row is gone was lost in memory.
  const lost = await adapters.photos.pendingWithoutOutbox(10_000);
  if (lost.length) await adapters.queue.send(lost);
  const worker = startWorker(
    { queue: adapters.queue, photos: adapters.photos, blobs: adapters.blobs, logger },
    { concurrency: 1, maxPixels: config.PHOTO_MAX_PIXELS, retryDelaySeconds: config.WORKER_RETRY_DELAY_SECONDS },
  );
  return { relay, worker };
}

export async function buildDeps(config: Config, opts: WiringOptions = {}): Promise<Deps> {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL, base: { service: "scale-app" } });
  const { caSource } = mysqlAccess(config);
  if (caSource && !config.DATABASE_TLS_CA_FILE) logger.warn({ ca: caSource }, "DATABASE_TLS=verify with no CA bundle file: using the RDS CAs from npm (development)");
  const db = openPrimary(config);
  try {
    await checkReachable(db, config);
    if (config.MIGRATE_ON_START) {
      const { applied } = await migrateWith(db).catch((err: Error) => {
        const denied = (err.cause as { code?: unknown } | undefined)?.code === "ER_TABLEACCESS_DENIED_ERROR";
        if (!denied) throw err;
        throw new Error(`${err.message}; an application user may not change the schema: run the migration step with admin credentials and start with MIGRATE_ON_START=0`, { cause: err });
      });
      if (applied.length) logger.info({ applied }, "applied migrations");
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  const metrics = createMetrics(() => db.poolStats());
  const reads = (opts.readRouter ?? replicasWhenConfigured(metrics, logger))(db, config);
  const closers: Array<() => Promise<unknown>> = [async () => reads.close?.(), () => db.close()];
  const readiness: Deps["readiness"] = {
    database: async () => {
      await sql`select 1`.execute(db.db);
    },
  };
  const records = createSessionRepository(db);
  const stopSweeping = sweepExpiredSessions(records);
  closers.unshift(async () => stopSweeping());

  let cache: ItemCache;
  let l1: L1Cache | null = null;
  let sessions: SessionStore;
  let limiter: RateLimiter | null = null;
  const perMinute = config.RATE_LIMIT_PER_MINUTE;
  if (config.REDIS_URL) {
    const onRedisError = throttled((err) =>
      logger.warn({ err: describeTlsFailure(err, "REDIS_TLS_CA_FILE") ?? err.message }, "redis unavailable; cache bypassed, session writes refused"),
    );
    const tls = config.REDIS_TLS_CA_FILE ? { ca: readFileSync(config.REDIS_TLS_CA_FILE, "utf8") } : undefined;
    const redis = createRedisClient(config.REDIS_URL, onRedisError, tls);
    await redis.connect().catch(() => undefined); // starts degraded if Redis is down; it keeps reconnecting
    // Closed after everything registered below (closers run newest first): the limiter's last flush still has Redis.
    closers.unshift(async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
    const prefix = config.REDIS_KEY_PREFIX;
    cache = createRedisItemCache(redis, { prefix, ttlSeconds: config.CACHE_TTL_SECONDS });
    const redisSessions = createRedisSessionStore(redis, records, { prefix, ttlSeconds: config.SESSION_TTL_SECONDS });
    sessions = redisSessions;
    closers.unshift(async () => redisSessions.close?.());
    if (perMinute > 0) {
      const redisLimiter = createRedisRateLimiter(redis, { prefix, perMinute, onError: (err) => onRedisError(err) });
      limiter = redisLimiter;
      closers.unshift(() => redisLimiter.close());
    }
    readiness.cache = () => cache.ping();
    if (config.CACHE_L1_TTL_MS > 0) {
      const ttlMs = Math.min(config.CACHE_L1_TTL_MS, config.CACHE_TTL_SECONDS * 1000);
      l1 = new L1Cache({ ttlMs, maxEntries: config.CACHE_L1_MAX_ENTRIES, maxBytes: config.CACHE_L1_MAX_MB * 1024 * 1024 });
      const feed = await subscribeInvalidations(redis, invalidationChannel(prefix), l1, logger);
      closers.unshift(() => feed.close());
    }
  } else {
    cache = createMemoryItemCache({ ttlSeconds: config.CACHE_TTL_SECONDS });
    sessions = createDbSessionStore(records, { ttlSeconds: config.SESSION_TTL_SECONDS });
    if (perMinute > 0) {
      const onStoreError = (err: Error) => logger.warn({ err: describeError(err) }, "rate limit store unavailable; counting in this process only for now");
      const dbLimiter = createDbRateLimiter(db, { perMinute, onError: onStoreError });
      limiter = dbLimiter;
      closers.unshift(() => dbLimiter.close());
    }
  }

  const adapters = photoAdapters(config, db);
  const work = await startPhotoWork(config, adapters, logger);
  closers.unshift(async () => work.relay.stop(), async () => work.worker?.stop());
  const archived = createArchivedMonths(db);

  const admission = createAdmission({
    maxInFlight: config.ADMISSION_MAX_IN_FLIGHT,
    maxLagMs: config.ADMISSION_MAX_LAG_MS,
    retryAfterSeconds: config.ADMISSION_RETRY_AFTER_SECONDS,
  });
  closers.unshift(async () => admission.stop());

  let closed: Promise<void> | undefined;
  return {
    config,
    wiring: config.DATABASE_URL || config.REDIS_URL ? "servers" : "embedded",
    items: createItemRepository(db, reads),
    users: createUserRepository(db),
    sessions,
    cache,
    l1,
    limiter,
    reads,
    logger,
    metrics,
    photos: { ...adapters, ...work },
    archived,
    admission,
    readiness,
    close() {
      closed ??= (async () => {
        for (const close of closers) await close().catch((err: Error) => logger.warn({ err: err.message }, "error while closing"));
      })();
      return closed;
    },
  };
}
