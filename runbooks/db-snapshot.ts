import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

export const dbSnapshot: Runbook = {
  id: "db-snapshot",
  title: "Take a manual RDS snapshot and wait until it is available",
  whenToUse: "Before any risky change to the database (a stage move, a failover, a resize), or when asked for a restore point.",
  answersAlarms: [],
  destructive: false,
  usesAws: true,
  params: [
    { name: "instance", description: "RDS DB instance identifier", required: true, pattern: /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, fromStack: "db-instance" },
    { name: "snapshot", description: "snapshot identifier (default: <instance>-manual-<timestamp>)", pattern: /^[a-zA-Z][a-zA-Z0-9-]{0,254}$/ },
  ],
  steps: [
    {
      id: "create-snapshot",
      title: "Create the snapshot",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "the snapshot exists and is creating or available",
      async act(ctx) {
        const { CreateDBSnapshotCommand } = await import("@aws-sdk/client-rds");
        const instance = ctx.params.instance as string;
        const snapshot =
          ctx.params.snapshot ?? `${instance}-manual-${new Date().toISOString().replace(/[^0-9]/g, "").slice(0, 14)}`;
        const rds = await ctx.aws.rds();
        await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: instance, DBSnapshotIdentifier: snapshot }));
        return { snapshot };
      },
      async verify(ctx, acted) {
        const { DescribeDBSnapshotsCommand } = await import("@aws-sdk/client-rds");
        const rds = await ctx.aws.rds();
        const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: acted.snapshot as string }));
        const status = out.DBSnapshots?.[0]?.Status;
        if (!status || !["creating", "available"].includes(status)) throw new VerifyFailed(`snapshot status is ${status ?? "missing"}`);
        return { status };
      },
    },
    {
      id: "verify-snapshot",
      title: "Wait for the snapshot to be available",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "DescribeDBSnapshots reports Status=available and 100% progress",
      async act() {},
      async verify(ctx) {
        const { DescribeDBSnapshotsCommand } = await import("@aws-sdk/client-rds");
        const rds = await ctx.aws.rds();
        const snapshot = ctx.outputs["create-snapshot"]?.snapshot as string;
        return ctx.waitFor(`snapshot ${snapshot} to be available`, async () => {
          const s = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot }))).DBSnapshots?.[0];
          if (s?.Status === "failed" || s?.Status === "deleted") throw new VerifyFailed(`snapshot ${snapshot} is ${s.Status}`);
          return s?.Status === "available" ? { snapshot, status: s.Status, percentProgress: s.PercentProgress } : undefined;
        });
      },
    },
  ],
};
