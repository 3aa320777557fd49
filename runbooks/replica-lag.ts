import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { mysqlConnection } from "./lib/connections.ts";
import { adviceStep } from "./lib/steps.ts";

const ID = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

/** Diagnose only: it changes nothing, and ends with what to do. */
export const replicaLag: Runbook = {
  id: "replica-lag",
  title: "Diagnose replica lag: lag per replica, long-running queries, what to do",
  whenToUse: "rds-replica-lag fired, or readers see stale data beyond the cache TTL.",
  answersAlarms: ["rds-replica-lag"],
  destructive: false,
  usesAws: true,
  params: [
    { name: "instance", description: "the primary's DB instance identifier", required: true, pattern: ID, fromStack: "db-instance" },
    { name: "database-url", description: "mysql:// URL of a lagging replica, to list its long queries", secret: true, url: "mysql-server" },
    { name: "max-lag-seconds", description: "lag above this is a problem", default: "30", pattern: /^\d+$/ },
    { name: "long-query-seconds", description: "queries running longer than this are listed", default: "10", pattern: /^\d+$/ },
  ],
  steps: [
    {
      id: "lag-per-replica",
      title: "Read each replica's ReplicaLag (max over the last 10 minutes)",
      timeoutSeconds: 120,
      onFailure: "abort",
      verifies: "every replica reported a ReplicaLag datapoint",
      async act(ctx) {
        const { DescribeDBInstancesCommand } = await import("@aws-sdk/client-rds");
        const { GetMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
        const rds = await ctx.aws.rds();
        const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.params.instance }))).DBInstances?.[0];
        const replicas = db?.ReadReplicaDBInstanceIdentifiers ?? [];
        if (replicas.length === 0) return { replicas: [], lagSeconds: {} };
        const cw = await ctx.aws.cloudwatch();
        const end = new Date();
        const out = await cw.send(
          new GetMetricDataCommand({
            StartTime: new Date(end.getTime() - 10 * 60_000),
            EndTime: end,
            MetricDataQueries: replicas.map((r, i) => ({
              Id: `r${i}`,
              Label: r,
              MetricStat: {
                Metric: { Namespace: "AWS/RDS", MetricName: "ReplicaLag", Dimensions: [{ Name: "DBInstanceIdentifier", Value: r }] },
                Period: 60,
                Stat: "Maximum",
              },
            })),
          }),
        );
        const lagSeconds: Record<string, number | null> = {};
        replicas.forEach((r, i) => {
          const values = out.MetricDataResults?.find((m) => m.Id === `r${i}`)?.Values ?? [];
          lagSeconds[r] = values.length ? Math.max(...values) : null;
        });
        return { replicas, lagSeconds };
      },
      async verify(_ctx, acted) {
        const lag = acted.lagSeconds as Record<string, number | null>;
        const silent = Object.entries(lag).filter(([, v]) => v === null).map(([k]) => k);
        if (silent.length) throw new VerifyFailed(`no ReplicaLag data for ${silent.join(", ")}: replication may be stopped`);
      },
    },
    {
      id: "long-queries",
      title: "List long-running queries on the replica",
      timeoutSeconds: 60,
      onFailure: "continue",
      verifies: "the replica's process list was read",
      async act(ctx) {
        const url = ctx.params["database-url"];
        if (!url) return { skipped: "no --param database-url given" };
        const conn = await mysqlConnection(ctx, url);
        const [rows] = await conn.query(
          `SELECT ID AS id, USER AS user, TIME AS seconds, STATE AS state, LEFT(INFO, 200) AS query
             FROM information_schema.PROCESSLIST
            WHERE COMMAND NOT IN ('Sleep', 'Binlog Dump', 'Daemon') AND INFO IS NOT NULL AND TIME >= ? AND ID <> CONNECTION_ID()
            ORDER BY TIME DESC LIMIT 20`,
          [Number(ctx.params["long-query-seconds"])],
        );
        return { longQueries: rows };
      },
      async verify() {},
    },
    adviceStep((ctx) => {
      const max = Number(ctx.params["max-lag-seconds"]);
      const lag = (ctx.outputs["lag-per-replica"]?.lagSeconds ?? {}) as Record<string, number | null>;
      const lagging = Object.entries(lag).filter(([, v]) => v === null || v > max).map(([k]) => k);
      const longQueries = (ctx.outputs["long-queries"]?.longQueries ?? []) as unknown[];
      const advice: string[] = [];
      if (Object.keys(lag).length === 0) advice.push("the primary has no replicas: nothing lags");
      else if (lagging.length === 0) advice.push(`all replicas are within ${max} s: watch, no action`);
      else {
        advice.push(`lagging: ${lagging.join(", ")}`);
        if (longQueries.length) advice.push("long queries on the replica hold back replication: kill or fix them (KILL <id>)");
        advice.push("check the primary's write rate (WriteIOPS) and the replica's CPU: a replica smaller than the primary falls behind");
        advice.push("the app reads its own writes from the primary, so users see their writes; others may see stale data until lag clears");
        advice.push("if one replica stays behind, take it out of DATABASE_REPLICA_URLS (or replace it) rather than wait");
      }
      return { lagging, advice };
    }),
  ],
};
