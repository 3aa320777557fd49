import type { Runbook } from "./lib/types.ts";

export const dbResize: Runbook = {
  id: "db-resize",
  title: "Give the RDS instance a bigger class or more storage, and wait until it is available",
  whenToUse: "rds-cpu-high that caching and replicas do not fix (writes), or rds-free-storage-low. Take a db-snapshot first.",
  answersAlarms: ["rds-cpu-high", "rds-free-storage-low"],
  destructive: true,
  usesAws: true,
  params: [
    { name: "instance", description: "DB instance identifier", required: true, pattern: /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, fromStack: "db-instance" },
    { name: "instance-class", description: "new class, e.g. db.r6g.large", pattern: /^db\.[a-z0-9]+\.[a-z0-9]+$/ },
    { name: "storage-gb", description: "new allocated storage in GB (only grows)", pattern: /^\d+$/, integer: { min: 20, max: 65536 } },
  ],
  validate: (p) => (p["instance-class"] || p["storage-gb"] ? undefined : "give --param instance-class=... or --param storage-gb=... (or both)"),
  steps: [
    {
      id: "modify",
      title: "Modify the instance (applied now; Multi-AZ applies it to the standby first)",
      timeoutSeconds: 120,
      onFailure: "abort",
      verifies: "the change is pending or applied",
      async act(ctx) {
        const cls = ctx.params["instance-class"];
        const gb = ctx.params["storage-gb"] ? Number(ctx.params["storage-gb"]) : undefined;
        const { ModifyDBInstanceCommand } = await import("@aws-sdk/client-rds");
        await (await ctx.aws.rds()).send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: ctx.params.instance,
            ApplyImmediately: true,
            ...(cls ? { DBInstanceClass: cls } : {}),
            ...(gb !== undefined ? { AllocatedStorage: gb } : {}),
          }),
        );
        return { instanceClass: cls, storageGb: gb };
      },
      async verify() {},
    },
    {
      id: "wait-available",
      title: "Wait until the instance is available with the new size",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "DBInstanceStatus=available and the class/storage match",
      async act() {},
      async verify(ctx) {
        const { DescribeDBInstancesCommand } = await import("@aws-sdk/client-rds");
        const rds = await ctx.aws.rds();
        const want = ctx.outputs.modify ?? {};
        return ctx.waitFor(`${ctx.params.instance} to be available`, async () => {
          const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.params.instance }))).DBInstances?.[0];
          const classOk = !want.instanceClass || db?.DBInstanceClass === want.instanceClass;
          const storageOk = want.storageGb === undefined || db?.AllocatedStorage === want.storageGb;
          return db?.DBInstanceStatus === "available" && classOk && storageOk
            ? { instanceClass: db.DBInstanceClass, storageGb: db.AllocatedStorage }
            : undefined;
        });
      },
    },
  ],
};
