/**
 * The embedded default's job queue, in this process: the same visibility-timeout and dead-letter rules as SQS, so the
 * worker code runs unchanged. Not durable: after a restart the outbox and pendingWithoutOutbox() requeue the work.
 */
import { randomUUID } from "node:crypto";
import type { JobQueue, PhotoJob, ReceivedJob } from "./ports.ts";

interface Message {
  job: PhotoJob;
  visibleAt: number;
  receiveCount: number;
  handle: string | null;
}

export interface MemoryJobQueue extends JobQueue {
  /** Jobs that ran out of deliveries. */
  deadLetters(): PhotoJob[];
}

export function createMemoryJobQueue(opts: { visibilitySeconds?: number; maxReceives?: number } = {}): MemoryJobQueue {
  const visibilitySeconds = opts.visibilitySeconds ?? 30;
  const maxReceives = opts.maxReceives ?? 5;
  const messages = new Set<Message>();
  const byHandle = new Map<string, Message>();
  const dead: PhotoJob[] = [];
  let wake: Array<() => void> = [];
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };

  function take(max: number): ReceivedJob[] {
    const now = Date.now();
    const out: ReceivedJob[] = [];
    for (const m of messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= maxReceives) {
        // Like SQS: the delivery after the last allowed one moves the message to the dead-letter queue.
        messages.delete(m);
        dead.push(m.job);
        continue;
      }
      if (m.handle) byHandle.delete(m.handle);
      m.receiveCount += 1;
      m.visibleAt = now + visibilitySeconds * 1000;
      m.handle = randomUUID();
      byHandle.set(m.handle, m);
      out.push({ job: m.job, handle: m.handle, receiveCount: m.receiveCount });
    }
    return out;
  }

  function nextVisibleIn(): number {
    let soonest = Infinity;
    for (const m of messages) soonest = Math.min(soonest, m.visibleAt - Date.now());
    return soonest;
  }

  return {
    async send(jobs) {
      for (const job of jobs) messages.add({ job, visibleAt: 0, receiveCount: 0, handle: null });
      notify();
    },
    async receive({ max, waitSeconds, signal }) {
      const deadline = Date.now() + waitSeconds * 1000;
      for (;;) {
        const got = take(max);
        if (got.length || signal?.aborted || Date.now() >= deadline) return got;
        const wait = Math.max(1, Math.min(deadline - Date.now(), nextVisibleIn()));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, wait);
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          }
          wake.push(done);
          signal?.addEventListener("abort", done, { once: true });
        });
      }
    },
    async extend(handle, seconds) {
      const m = byHandle.get(handle);
      if (m) m.visibleAt = Date.now() + seconds * 1000;
    },
    async delete(handle) {
      const m = byHandle.get(handle);
      if (!m) return;
      byHandle.delete(handle);
      messages.delete(m);
    },
    async release(handle, seconds) {
      const m = byHandle.get(handle);
      if (!m) return;
      m.visibleAt = Date.now() + seconds * 1000;
      if (seconds === 0) notify();
    },
    async settings() {
      return { visibilitySeconds, maxReceives };
    },
    deadLetters: () => [...dead],
  };
}
