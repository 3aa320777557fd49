import type { Runbook, StepContext } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

/**
 * The archive job as an audited operation: the same code the worker tier runs daily (app/archive), started by hand for
 * the months that are due (or one named month). Each month is written, read back and checked, then its rows deleted in
 * small batches; an interrupted run is finished by running it again, and a month already done is a no-op.
 */
export const dataArchive: Runbook = {
  id: "data-archive",
  title: "Move old items to the archive bucket, month by month: write, read back and verify, then delete the rows",
  whenToUse:
    "The database grows with items nobody reads (rds-free-storage-low), or a month must be archived now rather than at the worker's daily run; also to finish a run that was interrupted.",
  answersAlarms: [],
  destructive: true,
  params: [
    { name: "database-url", description: "mysql:// URL of the primary, with the database name", required: true, secret: true, url: "mysql" },
    { name: "archive-bucket", description: "the archive bucket (ARCHIVE_BUCKET)", required: true, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/ },
    { name: "after-days", description: "archive every whole month older than this many days", default: "365", pattern: /^\d{1,5}$/ },
    { name: "month", description: "archive only this month (YYYY-MM) instead", pattern: /^\d{4}-(0[1-9]|1[0-2])$/ },
    { name: "s3-endpoint", description: "an S3-protocol server instead of AWS (local stages)", pattern: /^https?:\/\/\S+$/ },
  ],
  steps: [
    {
      id: "plan",
      title: "List the months due and their item counts",
      timeoutSeconds: 300,
      onFailure: "abort",
      verifies: "the database answered",
      async act(ctx) {
        const { db } = await open(ctx);
        const { monthsToArchive, countMonth } = await import("../app/archive/archiver.ts");
        const months = ctx.params.month ? [ctx.params.month] : await monthsToArchive(db, Date.now() - Number(ctx.params["after-days"]) * 86_400_000);
        const items: Record<string, number> = {};
        for (const m of months) items[m] = await countMonth(db, m);
        return { months, items };
      },
      async verify() {},
    },
    {
      id: "archive",
      title: "Archive each month: write parts and manifest, read back and verify, delete the rows in batches",
      timeoutSeconds: 6 * 3600,
      onFailure: "abort",
      verifies: "each month is done in the ledger and the database holds only the rows that changed after they were written",
      async act(ctx) {
        const months = (ctx.outputs.plan?.months ?? []) as string[];
        const deps = await open(ctx);
        const { archiveMonth } = await import("../app/archive/archiver.ts");
        const results = [];
        for (const month of months) {
          const r = await ctx.effect(`archive ${month} to s3://${ctx.params["archive-bucket"]}/items/month=${month}/`, () =>
            archiveMonth(deps, month, { progress: (e) => void (e.phase !== "deleted" || e.items % 10_000 === 0 ? ctx.log(`${month}: ${e.phase} ${e.items}`) : undefined) }),
          );
          if (r) results.push(r);
        }
        return { results };
      },
      async verify(ctx, acted) {
        const { db } = await open(ctx);
        const { countMonth } = await import("../app/archive/archiver.ts");
        for (const r of (acted.results ?? []) as Array<{ month: string; outcome: string; kept: number }>) {
          if (r.outcome === "busy") throw new VerifyFailed(`${r.month} is being archived by another run (a worker); run this again later`);
          const left = await countMonth(db, r.month);
          if (left !== r.kept) throw new VerifyFailed(`${r.month}: ${left} rows left in the database, expected ${r.kept}`);
        }
      },
    },
  ],
};

/** The database and the archive bucket for one step, closed when the run ends. */
async function open(ctx: StepContext) {
  const [{ openDatabase }, { createS3BlobStore, createS3Client }, { pino }] = await Promise.all([
    import("../app/db/connect.ts"), import("../app/photos/s3-blob-store.ts"), import("pino"),
  ]);
  const db = openDatabase({ databaseUrl: ctx.params["database-url"], poolSize: 2 });
  ctx.onCleanup(() => db.close());
  // The region comes from the usual AWS settings (AWS_REGION, the profile), as for every runbook's clients.
  const s3 = createS3Client({ endpoint: ctx.params["s3-endpoint"] });
  ctx.onCleanup(async () => s3.destroy());
  return { db, archive: createS3BlobStore(s3, ctx.params["archive-bucket"]!), logger: pino({ level: "silent" }) };
}
