/**
 * A load generator for many connections that keeps each answer's latency by status, which wrk cannot: its Lua sees a
 * response without knowing when that connection sent the request. Closed loop like wrk: each of `connections`
 * keep-alive sockets sends one GET, reads the answer, sends the next. Plain sockets and a minimal HTTP/1.1 reader
 * (status line, Content-Length), so the generator costs little next to the server it loads on the same box.
 */
import { connect, type Socket } from "node:net";

export interface FloodOptions {
  url: string;
  connections: number;
  seconds: number;
  /** The next request path (e.g. a Zipf-drawn item). */
  nextPath: () => string;
  /** An answer later than this counts as a timeout (wrk's default is 2 s). */
  timeoutMs?: number;
}

export interface FloodResult {
  /** Answers by status class within the timed window. */
  ok: number;
  refused: number;
  other: number;
  /** Answers later than timeoutMs, and requests still unanswered that long at the end. */
  timeouts: number;
  connectErrors: number;
  /** Latency percentiles (ms) of the 2xx/304 answers (the admitted reads) and of the 503s. */
  admitted: { p50: number; p99: number; max: number };
  refusals: { p50: number; p99: number };
  requestsPerSecond: number;
}

const pct = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

export async function flood(opts: FloodOptions): Promise<FloodResult> {
  const { hostname, port } = new URL(opts.url);
  const timeoutMs = opts.timeoutMs ?? 2000;
  const okTimes: number[] = [];
  const refusedTimes: number[] = [];
  let other = 0;
  let timeouts = 0;
  let connectErrors = 0;
  let running = true;
  const sockets: Socket[] = [];
  const pending = new Map<Socket, number>();
  const end = performance.now() + opts.seconds * 1000;

  const send = (s: Socket) => {
    pending.set(s, performance.now());
    s.write(`GET ${opts.nextPath()} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  };

  const open = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host: hostname, port: Number(port), noDelay: true });
      let buf = "";
      s.setEncoding("latin1");
      s.on("connect", () => {
        sockets.push(s);
        send(s);
        resolve();
      });
      s.on("error", () => {
        connectErrors++;
        pending.delete(s);
        resolve();
      });
      s.on("data", (chunk: string) => {
        buf += chunk;
        for (;;) {
          const head = buf.indexOf("\r\n\r\n");
          if (head < 0) return;
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, head));
          const total = head + 4 + (m ? Number(m[1]) : 0);
          if (buf.length < total) return;
          const status = Number(buf.slice(9, 12));
          buf = buf.slice(total);
          const now = performance.now();
          const ms = now - (pending.get(s) ?? now);
          pending.delete(s);
          if (ms > timeoutMs) timeouts++;
          else if (status === 503) refusedTimes.push(ms);
          else if (status < 400) okTimes.push(ms);
          else other++;
          if (running && now < end) send(s);
        }
      });
    });

  // Connect in batches so the generator's own connect storm is not what is measured.
  for (let i = 0; i < opts.connections; i += 100) await Promise.all(Array.from({ length: Math.min(100, opts.connections - i) }, open));
  const started = performance.now();
  await new Promise((r) => setTimeout(r, Math.max(0, end - performance.now())));
  running = false;
  // Give the answers already asked for until the timeout to come back; the rest are timeouts.
  const drainUntil = performance.now() + timeoutMs;
  while (pending.size > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  timeouts += pending.size;
  for (const s of sockets) s.destroy();
  const elapsed = (performance.now() - started) / 1000;
  const ok = Float64Array.from(okTimes).sort();
  const refused = Float64Array.from(refusedTimes).sort();
  const round = (x: number) => Number(x.toFixed(1));
  return {
    ok: ok.length,
    refused: refused.length,
    other,
    timeouts,
    connectErrors,
    admitted: { p50: round(pct(ok, 50)), p99: round(pct(ok, 99)), max: round(ok.length ? ok[ok.length - 1]! : 0) },
    refusals: { p50: round(pct(refused, 50)), p99: round(pct(refused, 99)) },
    requestsPerSecond: Math.round((ok.length + refused.length + other) / Math.max(opts.seconds, elapsed - timeoutMs)),
  };
}
