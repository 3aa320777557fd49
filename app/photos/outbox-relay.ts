/**
 * Moves committed jobs from the outbox to the queue: lease a batch, send it, then delete those rows. A crash between
 * send and delete sends a job twice (the worker is idempotent), never zero times; a rolled-back photo has no row.
 * While the queue is down, rows stay and the relay backs off; they drain when it answers again.
 */
import type { Logger } from "pino";
import type { JobQueue, Outbox } from "./ports.ts";

export interface OutboxRelay {
  /** A photo was just committed: relay now rather than at the next tick. */
  kick(): void;
  /** Relay until the outbox is empty or a send fails; returns the jobs sent. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 10;
const LEASE_MS = 30_000;

export function startOutboxRelay(deps: { outbox: Outbox; queue: JobQueue; logger: Logger }, opts: { idleMs?: number; maxBackoffMs?: number } = {}): OutboxRelay {
  const idleMs = opts.idleMs ?? 1000;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  async function drainOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const rows = await deps.outbox.claim(BATCH, LEASE_MS);
      if (rows.length === 0) return sent;
      await deps.queue.send(rows.map((r) => r.job));
      await deps.outbox.remove(rows.map((r) => r.id));
      sent += rows.length;
      if (rows.length < BATCH || stopped) return sent;
    }
  }

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drainOnce()
      .then((n) => {
        if (failures > 0) deps.logger.info({ sent: n }, "job queue reachable again; outbox draining");
        failures = 0;
        return n;
      })
      .catch((err: Error) => {
        // Log the first failure and then every 10th, not every tick of an outage.
        if (failures++ % 10 === 0) deps.logger.warn({ err: err.message, failures }, "outbox relay could not send; jobs stay in the outbox");
        return 0;
      })
      .finally(() => {
        running = undefined;
        schedule(again && failures === 0 ? 0 : undefined);
        again = false;
      });
    return running;
  }

  function schedule(delay?: number) {
    if (stopped) return;
    clearTimeout(timer);
    const wait = delay ?? (failures ? Math.min(maxBackoffMs, idleMs * 2 ** Math.min(failures, 10)) : idleMs);
    timer = setTimeout(() => void drain(), wait);
    timer.unref();
  }

  schedule(0);
  return {
    kick() {
      if (!stopped && failures === 0) void drain();
    },
    drain,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
