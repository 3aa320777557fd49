import { expect } from "chai";
import { Counter, Histogram, Registry } from "prom-client";
import { RequestMetrics } from "../../../app/health/request-metrics.ts";

const BOUNDS = [0.001, 0.005, 0.1, 1];
const OBSERVED: [string, string, number, number][] = [
  ["GET", "/v1/items/:id", 200, 0.0004],
  ["GET", "/v1/items/:id", 200, 0.003],
  ["GET", "/v1/items/:id", 200, 0.001], // on a bound: counted in it, as Prometheus' `le` says
  ["GET", "/v1/items/:id", 304, 0.02],
  ["POST", "/v1/items", 201, 2.5], // above every bound: only in +Inf
];

describe("request metrics: plain counts shaped for Prometheus when scraped", () => {
  it("prints exactly what prom-client's own counter and histogram print for the same requests", async () => {
    const ours = new Registry();
    const metrics = new RequestMetrics(ours, BOUNDS);
    const theirs = new Registry();
    const labelNames = ["method", "route", "status"] as const;
    const counter = new Counter({ name: "http_requests_total", help: "HTTP requests by method, route and status", labelNames, registers: [theirs] });
    const histogram = new Histogram({ name: "http_request_duration_seconds", help: "HTTP request latency by method, route and status", labelNames, buckets: BOUNDS, registers: [theirs] });
    for (const [method, route, status, seconds] of OBSERVED) {
      metrics.of(method, route, status).record(seconds);
      counter.inc({ method, route, status: String(status) });
      histogram.observe({ method, route, status: String(status) }, seconds);
    }
    const text = await ours.metrics();
    expect(text).to.equal(await theirs.metrics());
    expect(text).to.include('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/items/:id",status="200"} 2');
    expect(text).to.include('http_request_duration_seconds_bucket{le="1",method="POST",route="/v1/items",status="201"} 0');
    expect(text).to.include('http_requests_total{method="GET",route="/v1/items/:id",status="304"} 1');
  });

  it("starts over on the registry's reset, and refuses bounds that do not increase", async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics(registry, BOUNDS);
    metrics.of("GET", "/healthz", 200).record(0.002);
    registry.resetMetrics();
    expect(await registry.metrics()).to.not.include("/healthz");
    expect(() => new RequestMetrics(new Registry(), [0.1, 0.05])).to.throw(/must increase/);
  });
});
