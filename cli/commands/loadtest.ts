import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import {
  isLoopback,
  MAX_CONNECTIONS,
  MAX_ITEMS,
  MAX_RATE,
  parseBoundedDuration,
  parseIntFlag,
  parseNumberFlag,
  parseRamp,
  parseServiceUrl,
} from "../lib/loadtest/options.ts";
import type { LoadTestSummary } from "../lib/loadtest/run.ts";

export default class LoadTest extends BaseCommand {
  static override description =
    "Drive a service through its own API (sign-ups, log-ins, 1 KB writes, Zipf-distributed reads) and measure throughput and latency honestly.";
  static override examples = [
    "<%= config.bin %> loadtest --url http://127.0.0.1:8080 --duration 30s",
    "<%= config.bin %> loadtest --url http://127.0.0.1:8080 --rate 2000 --report r.html",
    "<%= config.bin %> loadtest --url http://127.0.0.1:8080 --ramp 1000..20000/60s --json",
    "<%= config.bin %> loadtest --url https://staging.example.com --duration 1m --yes",
  ];
  static override flags = {
    url: Flags.string({ description: "the service's base URL", required: true }),
    duration: Flags.string({ description: "how long to measure (capped at 10m)", default: "30s" }),
    connections: Flags.integer({ description: "concurrent connections", default: 50 }),
    "read-ratio": Flags.string({ description: "reads per write", default: "100" }),
    zipf: Flags.string({ description: "Zipf exponent of the read ids (0 = uniform)", default: "1.0" }),
    items: Flags.integer({ description: "items to seed and read", default: 10_000 }),
    rate: Flags.integer({ description: "a fixed rate in requests a second (latency counted from when each was due)", exclusive: ["ramp"] }),
    ramp: Flags.string({ description: "a rising rate FROM..TO/DURATION, e.g. 1000..20000/60s, to find the knee", exclusive: ["rate"] }),
    report: Flags.string({ description: "write an HTML chart of throughput, latency and errors over time to FILE" }),
    yes: Flags.boolean({ description: "allow a URL that is not this machine (it may be someone's production)", default: false }),
  };

  async run(): Promise<LoadTestSummary> {
    const { flags } = await this.parse(LoadTest);
    const url = parseServiceUrl(flags.url);
    if (typeof url === "string") this.usageError(url);
    const durationMs = this.ok(parseBoundedDuration("duration", flags.duration));
    const connections = this.ok(parseIntFlag("connections", flags.connections, 1, MAX_CONNECTIONS));
    const readRatio = this.ok(parseNumberFlag("read-ratio", flags["read-ratio"], 0, 100_000));
    const zipf = this.ok(parseNumberFlag("zipf", flags.zipf, 0, 5));
    const items = this.ok(parseIntFlag("items", flags.items, 1, MAX_ITEMS));
    const rate = flags.rate === undefined ? undefined : this.ok(parseIntFlag("rate", flags.rate, 1, MAX_RATE));
    const ramp = flags.ramp === undefined ? undefined : this.ok(parseRamp(flags.ramp));
    // A ramp sets the test's length unless --duration was given (then the rate holds at its end).
    const measureMs = ramp && flags.duration === LoadTest.flags.duration.default ? ramp.ms : durationMs;
    if (ramp && ramp.ms > measureMs) this.usageError(`--ramp lasts ${ramp.ms / 1000}s, longer than --duration ${flags.duration}: shorten the ramp or lengthen the test`);
    if (!isLoopback(url) && !flags.yes)
      this.refuse(`${url.origin} is not this machine: a load test there loads someone's service. Re-run with --yes if that is intended`, [
        "point --url at a local stage (scale local up) or add --yes",
      ]);

    const { runLoadTest, LoadTestError } = await import("../lib/loadtest/run.ts");
    const pad = (s: string, n: number) => s.padStart(n);
    // Ctrl-C ends the measured phase early: what was measured so far is still summarised (a second one kills).
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      this.progress("SIGINT: stopping the load; the summary covers what ran (again to kill)");
      stop.abort();
    };
    process.on("SIGINT", onSignal);
    let result;
    try {
      result = await runLoadTest({
        signal: stop.signal,
        url,
        durationMs: measureMs,
        connections,
        readRatio,
        zipf,
        items,
        rate,
        ramp,
        onProgress: (line) => this.progress(line),
        onSecond: (s) =>
          this.progress(
            `${pad(`${s.second}s`, 5)} ${pad(s.requests.toLocaleString("en-US"), 8)} req/s  p99 ${pad(s.p99.toFixed(1), 7)} ms  errors ${s.errors}` +
              (s.targetRps !== null ? `  (scheduled ${s.targetRps.toLocaleString("en-US")}/s)` : ""),
          ),
      });
    } catch (err) {
      if (err instanceof LoadTestError) this.failed(err.message);
      throw err;
    } finally {
      process.off("SIGINT", onSignal);
    }
    const g = result.generator;
    if (g.bound) this.warn(g.reason!);
    if (g.behindSchedule > 0)
      this.warn(`${g.behindSchedule.toLocaleString("en-US")} requests due by the schedule were never sent: every connection was busy (the service fell behind, or raise --connections)`);
    if (result.errorSamples.length) this.warn(`errors, e.g.: ${[...new Set(result.errorSamples)].join("; ")}`);
    if (flags.report) {
      const { renderReport } = await import("../lib/loadtest/report.ts");
      const { writeFile } = await import("node:fs/promises");
      await writeFile(flags.report, renderReport(result));
      this.progress(`report written to ${flags.report}`);
    }
    const s = result.summary;
    if (!this.jsonEnabled()) {
      this.log(`${s.url}: ${s.requests.toLocaleString("en-US")} requests in ${s.seconds} s = ${s.rps.toLocaleString("en-US")} req/s (${s.reads.toLocaleString("en-US")} reads, ${s.writes.toLocaleString("en-US")} writes)`);
      this.log(`latency ms: p50 ${s.latencyMs.p50}  p90 ${s.latencyMs.p90}  p99 ${s.latencyMs.p99}  max ${s.latencyMs.max}`);
      this.log(`statuses: ${Object.entries(s.statuses).map(([k, v]) => `${k} ${v}`).join(", ")}; errors ${s.errors}`);
      this.log(`generator: CPU p90 ${Math.round(g.cpuP90 * 100)}% of a core, event-loop lag p99 ${g.loopLagP99Ms} ms${g.bound ? " (it was the limit)" : ""}`);
    }
    return s;
  }

  private ok<T>(v: T | string): T {
    if (typeof v === "string") this.usageError(v);
    return v;
  }
}
