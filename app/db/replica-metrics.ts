/** The replica router's Prometheus metrics, registered in the registry the app passes in. */
import { Counter, Gauge, type Registry } from "prom-client";

export type FallbackReason = "no_replica_in_rotation" | "gtid_wait_timeout" | "replica_error";

export class ReplicaMetrics {
  readonly lag: Gauge<"replica">;
  readonly inRotation: Gauge<"replica">;
  readonly reads: Counter<"target">;
  readonly fallbacks: Counter<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lag = new Gauge({
      name: "db_replica_lag_seconds",
      help: "Replication lag of each read replica by heartbeat (+Inf before its first heartbeat, NaN when unknown)",
      labelNames: ["replica"],
      registers,
    });
    this.inRotation = new Gauge({
      name: "db_replica_in_rotation",
      help: "1 when the replica serves reads, 0 when it is out of rotation (down or lagging)",
      labelNames: ["replica"],
      registers,
    });
    this.reads = new Counter({
      name: "db_reads_total",
      help: "Reads routed to each database target (a replica's host:port, or primary)",
      labelNames: ["target"],
      registers,
    });
    this.fallbacks = new Counter({
      name: "db_read_primary_fallbacks_total",
      help: "Reads sent to the primary although replicas are configured, by reason",
      labelNames: ["reason"],
      registers,
    });
  }
}
