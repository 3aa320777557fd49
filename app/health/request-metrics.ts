/**
 * The per-request metrics (http_requests_total, http_request_duration_seconds) kept as plain numbers per
 * method/route/status and shaped for Prometheus only when scraped. prom-client's own children validate and hash their
 * labels on every observation; on the read path that was a tenth of the service's CPU.
 */
import type { Registry } from "prom-client";

/** One method/route/status: its count, its latency sum and its (non-cumulative) bucket counts. */
export class RequestSeries {
  count = 0;
  sum = 0;
  readonly inBucket: Float64Array;

  constructor(
    readonly labels: Readonly<Record<"method" | "route" | "status", string>>,
    private readonly bounds: readonly number[],
  ) {
    this.inBucket = new Float64Array(bounds.length);
  }

  record(seconds: number): void {
    this.count++;
    this.sum += seconds;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.inBucket[i]!++;
        return;
      }
    }
  }
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export class RequestMetrics {
  private readonly series = new Set<RequestSeries>();
  private readonly index = new Map<string, Map<string, Map<number, RequestSeries>>>();

  constructor(
    registry: Registry,
    private readonly bounds: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ) {
    if (bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`histogram bounds must increase: ${bounds.join(", ")}`);
    const all = () => [...this.series.values()];
    // The registry asks each metric for get() (and reset() on resetMetrics); nothing else of prom-client's Metric is used.
    const metric = (name: string, help: string, type: "counter" | "histogram", values: () => MetricValue[]) => ({
      name, help, type, aggregator: "sum" as const,
      get: async () => ({ name, help, type, aggregator: "sum" as const, values: values() }),
      reset: () => {
        this.series.clear();
        this.index.clear();
      },
    });
    registry.registerMetric(
      metric("http_requests_total", "HTTP requests by method, route and status", "counter", () => all().map((s) => ({ labels: { ...s.labels }, value: s.count }))) as never,
    );
    registry.registerMetric(
      metric("http_request_duration_seconds", "HTTP request latency by method, route and status", "histogram", () =>
        all().flatMap((s) => {
          const out: MetricValue[] = [];
          let cumulative = 0;
          this.bounds.forEach((le, i) => {
            cumulative += s.inBucket[i]!;
            out.push({ labels: { le, ...s.labels }, value: cumulative, metricName: "http_request_duration_seconds_bucket" });
          });
          out.push({ labels: { le: "+Inf", ...s.labels }, value: s.count, metricName: "http_request_duration_seconds_bucket" });
          out.push({ labels: { ...s.labels }, value: s.sum, metricName: "http_request_duration_seconds_sum" });
          out.push({ labels: { ...s.labels }, value: s.count, metricName: "http_request_duration_seconds_count" });
          return out;
        }),
      ) as never,
    );
  }

  /**
   * The series of one method/route/status, made on first use (routes are patterns, so the set stays small). Nested
   * maps: the method and route strings are the same objects request after request, so their hashes are cached, where
   * a joined key would be a new string to hash every time.
   */
  of(method: string, route: string, status: number): RequestSeries {
    let byRoute = this.index.get(method);
    if (!byRoute) this.index.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = new RequestSeries({ method, route, status: String(status) }, this.bounds);
      byStatus.set(status, s);
      this.series.add(s);
    }
    return s;
  }
}
