import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { tcpAnswers } from "./lib/probes.ts";

/**
 * Multi-AZ: reboot with failover (the standby takes over behind the same endpoint).
 * Single-AZ with a replica: promote the replica; the app must then be pointed at its endpoint.
 */
export const dbFailover: Runbook = {
  id: "db-failover",
  title: "Fail the database over: Multi-AZ reboot with failover, or promote a read replica",
  whenToUse: "The primary is impaired or unreachable (writes fail with 503, /readyz names the database), or before AZ maintenance.",
  answersAlarms: [],
  destructive: true,
  usesAws: true,
  params: [
    { name: "instance", description: "the primary's DB instance identifier", required: true, pattern: /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, fromStack: "db-instance" },
    { name: "replica", description: "replica to promote when the primary is not Multi-AZ", pattern: /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/ },
  ],
  steps: [
    {
      id: "inspect",
      title: "Read the primary's Multi-AZ setting and replicas",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "a failover path exists: Multi-AZ, or the named replica is one of the primary's replicas",
      async act(ctx) {
        const { DescribeDBInstancesCommand } = await import("@aws-sdk/client-rds");
        const rds = await ctx.aws.rds();
        const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.params.instance }))).DBInstances?.[0];
        if (!db) throw new VerifyFailed(`no DB instance ${ctx.params.instance}`);
        return { multiAz: db.MultiAZ === true, replicas: db.ReadReplicaDBInstanceIdentifiers ?? [] };
      },
      async verify(ctx, acted) {
        if (acted.multiAz) return { mode: "reboot-with-failover" };
        const replica = ctx.params.replica;
        if (!replica) throw new VerifyFailed(`${ctx.params.instance} is not Multi-AZ: name a replica to promote with --param replica=ID`);
        if (!(acted.replicas as string[]).includes(replica))
          throw new VerifyFailed(`${replica} is not a replica of ${ctx.params.instance} (replicas: ${(acted.replicas as string[]).join(", ") || "none"})`);
        return { mode: "promote-replica" };
      },
    },
    {
      id: "failover",
      title: "Fail over and wait until the new primary is available",
      timeoutSeconds: 1800,
      onFailure: "abort",
      verifies: "the instance that now takes writes reports DBInstanceStatus=available",
      async act(ctx) {
        const rds = await ctx.aws.rds();
        const { RebootDBInstanceCommand, PromoteReadReplicaCommand } = await import("@aws-sdk/client-rds");
        if (ctx.outputs.inspect?.mode === "reboot-with-failover") {
          await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: ctx.params.instance, ForceFailover: true }));
          return { primary: ctx.params.instance };
        }
        await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: ctx.params.replica, BackupRetentionPeriod: 7 }));
        return { primary: ctx.params.replica };
      },
      async verify(ctx, acted) {
        const { DescribeDBInstancesCommand } = await import("@aws-sdk/client-rds");
        const rds = await ctx.aws.rds();
        const id = acted.primary as string;
        return ctx.waitFor(`${id} to be available`, async () => {
          const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
          // A promoted replica is available once it no longer names a source.
          const promoted = ctx.outputs.inspect?.mode !== "promote-replica" || !db?.ReadReplicaSourceDBInstanceIdentifier;
          return db?.DBInstanceStatus === "available" && promoted
            ? { endpoint: `${db.Endpoint?.Address}:${db.Endpoint?.Port}` }
            : undefined;
        });
      },
    },
    {
      id: "verify-endpoint",
      title: "Check the new primary's endpoint answers",
      timeoutSeconds: 300,
      onFailure: "abort",
      verifies: "a TCP connection to the endpoint opens",
      async act() {},
      async verify(ctx) {
        const endpoint = ctx.outputs.failover?.endpoint as string;
        const [host, port] = endpoint.split(":");
        await ctx.waitFor(`${endpoint} to answer`, () => tcpAnswers(host as string, Number(port)));
        const note =
          ctx.outputs.inspect?.mode === "promote-replica"
            ? `point the app's DATABASE_URL at ${endpoint} (the promoted replica) and re-create replicas from it`
            : "same endpoint, the standby now serves it";
        return { endpoint, next: note };
      },
    },
  ],
};
