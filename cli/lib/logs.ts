/**
 * A tier's logs: CloudWatch Logs group `/scale/<stack>/<tier>` for a stack; for a local stage, the
 * processes' own files DIR/logs/<component>.log (the tier's app or worker processes). `follow` keeps
 * reading until the signal aborts.
 */
import { existsSync, readdirSync, statSync, openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const TIERS = ["box", "read", "write", "worker"] as const;
export type Tier = (typeof TIERS)[number];

export interface LogLine {
  at: string | null;
  source: string;
  message: string;
}

export const logGroupName = (stack: string, tier: Tier) => `/scale/${stack}/${tier}`;

/** Local components of a tier, by the local stage's naming (app-read-1, worker-2, ...). */
const COMPONENT_PREFIX: Record<Tier, string> = { box: "app-box-", read: "app-read-", write: "app-write-", worker: "worker-" };

export function localLogFiles(dir: string, tier: Tier, component?: string): string[] {
  const logs = join(dir, "logs");
  if (!existsSync(logs)) return [];
  return readdirSync(logs)
    .filter((f) => f.endsWith(".log"))
    .filter((f) => (component ? f === `${component}.log` : f.startsWith(COMPONENT_PREFIX[tier])))
    .sort()
    .map((f) => join(logs, f));
}

/** The last `lines` lines of a file, reading at most the last 1 MiB. */
function tail(file: string, lines: number): { text: string[]; size: number } {
  const size = statSync(file).size;
  const start = Math.max(0, size - 1024 * 1024);
  const buf = Buffer.alloc(size - start);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, buf.length, start);
  } finally {
    closeSync(fd);
  }
  const all = buf.toString("utf8").split("\n");
  if (all.at(-1) === "") all.pop();
  return { text: all.slice(-lines), size };
}

function readFrom(file: string, offset: number): { text: string[]; size: number } {
  const size = statSync(file).size;
  if (size <= offset) return { text: [], size: Math.min(size, offset) };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  // Only whole lines: a half-written last line waits for the next read.
  const text = buf.toString("utf8");
  const end = text.lastIndexOf("\n");
  if (end < 0) return { text: [], size: offset };
  return { text: text.slice(0, end).split("\n"), size: offset + Buffer.byteLength(text.slice(0, end + 1)) };
}

const source = (file: string) => file.split("/").pop()!.replace(/\.log$/, "");

export async function localLogs(
  files: string[],
  opts: { lines: number; follow: boolean; signal?: AbortSignal; pollMs?: number; emit: (l: LogLine) => void },
): Promise<void> {
  const offsets = new Map<string, number>();
  for (const f of files) {
    const { text, size } = tail(f, opts.lines);
    for (const message of text) opts.emit({ at: null, source: source(f), message });
    offsets.set(f, size);
  }
  while (opts.follow && !opts.signal?.aborted) {
    await sleep(opts.pollMs ?? 500, undefined, { signal: opts.signal }).catch(() => {});
    for (const f of files) {
      if (!existsSync(f)) continue;
      const { text, size } = readFrom(f, offsets.get(f) ?? 0);
      for (const message of text) opts.emit({ at: null, source: source(f), message });
      offsets.set(f, size);
    }
  }
}

export async function cloudWatchLogs(opts: {
  stack: string;
  tier: Tier;
  region: string;
  sinceMs: number;
  follow: boolean;
  signal?: AbortSignal;
  pollMs?: number;
  emit: (l: LogLine) => void;
}): Promise<void> {
  const cwl = await import("@aws-sdk/client-cloudwatch-logs");
  const client = new cwl.CloudWatchLogsClient({ region: opts.region });
  const group = logGroupName(opts.stack, opts.tier);
  let startTime = Date.now() - opts.sinceMs;
  const seen = new Set<string>();
  try {
    do {
      let nextToken: string | undefined;
      let newest = startTime;
      do {
        const out = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: group, startTime, nextToken, interleaved: true }));
        for (const ev of out.events ?? []) {
          // A poll starts at the newest timestamp seen, so events at that millisecond come twice: skip them.
          if (ev.eventId && seen.has(ev.eventId)) continue;
          if (ev.eventId) seen.add(ev.eventId);
          newest = Math.max(newest, ev.timestamp ?? 0);
          opts.emit({ at: ev.timestamp ? new Date(ev.timestamp).toISOString() : null, source: ev.logStreamName ?? group, message: (ev.message ?? "").replace(/\n$/, "") });
        }
        nextToken = out.nextToken;
      } while (nextToken && !opts.signal?.aborted);
      startTime = newest;
      if (opts.follow) await sleep(opts.pollMs ?? 2000, undefined, { signal: opts.signal }).catch(() => {});
    } while (opts.follow && !opts.signal?.aborted);
  } catch (err) {
    const e = err as Error;
    if (e.name === "ResourceNotFoundException")
      throw new Error(`no log group ${group} in ${opts.region}: is stack ${opts.stack} deployed there, and does it run the ${opts.tier} tier at its stage?`);
    throw err;
  } finally {
    client.destroy();
  }
}

/** "10m", "2h", "1d", "30s" -> milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}
