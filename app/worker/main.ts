/**
 * `npm run worker` (`bin/scale-worker` in a release): stage 5's worker. Long-polls QUEUE_URL for photo jobs and, when
 * ARCHIVE_AFTER_DAYS is set, moves old items to the archive once a day. SIGTERM/SIGINT: no new job, the jobs in hand
 * finish, then exit 0. It never migrates: the app's migration step owns the schema.
 */
import { pino } from "pino";
import { loadConfig, ConfigError, type Config } from "../config.ts";
import { openPrimary, photoAdapters } from "../wiring.ts";
import { startWorker } from "./job-runner.ts";
import { scheduleArchive } from "../archive/schedule.ts";

let config: Config;
try {
  config = loadConfig();
  if (!config.QUEUE_URL) throw new ConfigError("QUEUE_URL: the worker needs a queue; without one the app process makes thumbnails itself");
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : String(err));
  process.exit(2);
}

const logger = pino({ level: config.LOG_LEVEL, base: { service: "scale-worker" } });
const db = openPrimary(config, config.WORKER_CONCURRENCY + 2);
const adapters = photoAdapters(config, db);
const worker = startWorker(
  { queue: adapters.queue, photos: adapters.photos, blobs: adapters.blobs, logger },
  { concurrency: config.WORKER_CONCURRENCY, maxPixels: config.PHOTO_MAX_PIXELS, retryDelaySeconds: config.WORKER_RETRY_DELAY_SECONDS },
);
const archive = config.ARCHIVE_AFTER_DAYS > 0 ? scheduleArchive({ db, archive: adapters.archive, logger }, { afterDays: config.ARCHIVE_AFTER_DAYS }) : null;
console.log(`scale-worker started: ${config.WORKER_CONCURRENCY} slots on ${config.QUEUE_URL}${archive ? `, archiving items older than ${config.ARCHIVE_AFTER_DAYS} days` : ""}`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down: no new jobs, finishing the jobs in hand");
  await Promise.all([worker.stop(), archive?.stop()]);
  await db.close();
  logger.info({ counts: worker.counts }, "worker stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
