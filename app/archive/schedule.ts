/**
 * The archive job on the worker tier: shortly after start and then once a day, archive every month whose items are all
 * older than ARCHIVE_AFTER_DAYS. Several workers may run it at once; each month's lease lets one of them move it.
 */
import type { Logger } from "pino";
import type { DbHandle } from "../db/connect.ts";
import type { BlobStore } from "../photos/ports.ts";
import { archiveMonth, monthsToArchive, Interrupted, type MonthResult } from "./archiver.ts";

const DAY_MS = 86_400_000;

export async function archiveOlderThan(deps: { db: DbHandle; archive: BlobStore; logger: Logger }, afterDays: number, signal?: AbortSignal): Promise<MonthResult[]> {
  const results: MonthResult[] = [];
  for (const month of await monthsToArchive(deps.db, Date.now() - afterDays * DAY_MS)) {
    results.push(await archiveMonth(deps, month, { signal }));
  }
  return results;
}

export function scheduleArchive(deps: { db: DbHandle; archive: BlobStore; logger: Logger }, opts: { afterDays: number; firstRunMs?: number; everyMs?: number }) {
  const abort = new AbortController();
  const log = deps.logger.child({ component: "archive" });
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = archiveOlderThan(deps, opts.afterDays, abort.signal)
      .then((results) => results.length && log.info({ months: results.map((r) => `${r.month}:${r.outcome}`) }, "archive run finished"))
      .catch((err: Error) => {
        if (!(err instanceof Interrupted)) log.error({ err: err.message }, "archive run failed; the next run resumes it");
      });
  };
  const first = setTimeout(run, opts.firstRunMs ?? 60_000);
  const every = setInterval(run, opts.everyMs ?? DAY_MS);
  first.unref();
  every.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      abort.abort();
      await running;
    },
  };
}
