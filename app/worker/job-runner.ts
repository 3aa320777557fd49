/**
 * The worker loop: long-poll the queue, run each job with its visibility extended while it runs, delete it when done.
 * A failed job is given back for a later delivery; on its last delivery the photo ends `failed` with the reason and
 * the queue's redrive policy moves the message to the dead-letter queue. stop() takes no new job and lets the jobs in
 * hand finish (SIGTERM).
 */
import type { Logger } from "pino";
import type { BlobStore, JobQueue, PhotoStore, ReceivedJob } from "../photos/ports.ts";
import { runPhotoJob } from "./photo-job.ts";
import { PoisonImage } from "./thumbnail.ts";

/** Without a redrive policy the worker gives up on a job by itself after this many deliveries. */
const DEFAULT_MAX_RECEIVES = 5;

export interface WorkerDeps {
  queue: JobQueue;
  photos: PhotoStore;
  blobs: BlobStore;
  logger: Logger;
}

export interface WorkerOptions {
  concurrency: number;
  maxPixels: number;
  /** A retry waits this times the delivery count. */
  retryDelaySeconds: number;
  /** Long-poll wait. @default 20 */
  waitSeconds?: number;
}

export interface Worker {
  /** Jobs finished by outcome, for logs, tests and the benchmark. */
  readonly counts: Record<"ready" | "already-done" | "no-such-photo" | "retried" | "failed", number>;
  stop(): Promise<void>;
}

export function startWorker(deps: WorkerDeps, opts: WorkerOptions): Worker {
  const abort = new AbortController();
  const counts: Worker["counts"] = { ready: 0, "already-done": 0, "no-such-photo": 0, retried: 0, failed: 0 };
  const log = deps.logger.child({ component: "worker" });
  const pause = (ms: number) => new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    abort.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
  });

  async function run(r: ReceivedJob, settings: { visibilitySeconds: number; maxReceives: number | null }) {
    const { job, handle, receiveCount } = r;
    // Extend well before the timeout runs out, so a slow job is never handed to a second worker.
    const heartbeat = setInterval(() => {
      deps.queue.extend(handle, settings.visibilitySeconds).catch((err: Error) => log.warn({ photoId: job.photoId, err: err.message }, "could not extend the job's visibility"));
    }, Math.max(500, (settings.visibilitySeconds * 1000) / 3));
    try {
      const outcome = await runPhotoJob(job, { photos: deps.photos, blobs: deps.blobs, maxPixels: opts.maxPixels });
      await deps.queue.delete(handle);
      counts[outcome] += 1;
      log.info({ photoId: job.photoId, outcome, receiveCount }, "photo job done");
    } catch (err) {
      const maxReceives = settings.maxReceives ?? DEFAULT_MAX_RECEIVES;
      const reason = err instanceof PoisonImage ? err.message : `the job failed: ${(err as Error).message}`;
      if (receiveCount >= maxReceives) {
        counts.failed += 1;
        await deps.photos.markFailed(job.photoId, job.sha256, reason).catch((e: Error) => log.warn({ err: e.message }, "could not mark the photo failed"));
        // With a redrive policy the next receive moves the message to the dead-letter queue; without one, drop it here.
        if (settings.maxReceives === null) await deps.queue.delete(handle).catch(() => undefined);
        else await deps.queue.release(handle, 0).catch(() => undefined);
        log.warn({ photoId: job.photoId, receiveCount, reason }, "photo job failed for good");
      } else {
        counts.retried += 1;
        await deps.queue.release(handle, opts.retryDelaySeconds * receiveCount).catch(() => undefined);
        log.warn({ photoId: job.photoId, receiveCount, reason }, "photo job failed; it will be retried");
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function slot() {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const settings = await deps.queue.settings();
        const got = await deps.queue.receive({ max: 1, waitSeconds: opts.waitSeconds ?? 20, signal: abort.signal });
        failures = 0;
        for (const r of got) await run(r, settings);
      } catch (err) {
        if (failures++ % 10 === 0) log.warn({ err: (err as Error).message }, "job queue unavailable; retrying");
        await pause(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  const slots = Array.from({ length: opts.concurrency }, () => slot());
  let stopped: Promise<void> | undefined;
  return {
    counts,
    stop() {
      stopped ??= (async () => {
        abort.abort();
        await Promise.all(slots);
      })();
      return stopped;
    },
  };
}
