import type { Connection } from "mysql2/promise";
import type { Runbook, StepContext } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";
import { mysqlConnection } from "./lib/connections.ts";
import { copyTable, createTableLike, databaseName, listTables, tableFacts, type TableFacts } from "./lib/mysql-copy.ts";

// Exact values both ways: dates as the strings MySQL holds, big numbers as strings, UTC sessions.
async function open(ctx: StepContext, url: string): Promise<Connection> {
  const u = new URL(url);
  u.searchParams.set("dateStrings", "true");
  u.searchParams.set("supportBigNumbers", "true");
  u.searchParams.set("bigNumberStrings", "true");
  const conn = await mysqlConnection(ctx, u.toString());
  await conn.query("SET SESSION time_zone = '+00:00'");
  return conn;
}

/**
 * The 0->1 data move, and (with source and target swapped, direction=to-box) the way back that 1->0 needs.
 * The source is only read: the box keeps its data until the copy is verified and the app has moved.
 */
export const migrateBoxToRds: Runbook = {
  id: "migrate-box-to-rds",
  title: "Copy the MySQL data from the box to RDS (or back), verify row counts and checksums per table, switch the app",
  whenToUse: "Stage 0 -> 1 (the stage move runs it), or 1 -> 0 with source and target swapped and direction=to-box.",
  answersAlarms: [],
  destructive: true,
  params: [
    { name: "source", description: "mysql:// URL of the database to copy from, with the database name", required: true, secret: true, url: "mysql" },
    { name: "target", description: "mysql:// URL of the database to copy into (its tables must be absent or empty)", required: true, secret: true, url: "mysql" },
    { name: "direction", description: "to-rds (0->1) or to-box (1->0); recorded in the audit log", default: "to-rds", pattern: /^(to-rds|to-box)$/ },
    { name: "batch", description: "rows per INSERT", default: "1000", pattern: /^[1-9]\d{0,4}$/ },
  ],
  steps: [
    {
      id: "preflight",
      title: "Connect to both, list the tables, check the target is empty",
      timeoutSeconds: 120,
      onFailure: "abort",
      verifies: "every source table is absent or empty on the target",
      async act(ctx) {
        const source = await open(ctx, ctx.params.source as string);
        const target = await open(ctx, ctx.params.target as string);
        const tables = await listTables(source);
        const targetTables = new Set(await listTables(target));
        const notEmpty: string[] = [];
        for (const t of tables) if (targetTables.has(t) && (await tableFacts(target, t)).rows > 0) notEmpty.push(t);
        return { sourceDatabase: await databaseName(source), targetDatabase: await databaseName(target), tables, notEmpty };
      },
      async verify(_ctx, acted) {
        const notEmpty = acted.notEmpty as string[];
        if (notEmpty.length)
          throw new VerifyFailed(`target tables already hold rows: ${notEmpty.join(", ")}; copy into an empty database (nothing was changed)`);
        if ((acted.tables as string[]).length === 0) throw new VerifyFailed("the source database has no tables: check the source URL");
      },
    },
    {
      id: "copy",
      title: "Create the tables on the target and copy the rows",
      timeoutSeconds: 6 * 3600,
      onFailure: "abort",
      verifies: "rows copied per table equal the source's row count at the start",
      async act(ctx) {
        const source = await open(ctx, ctx.params.source as string);
        const target = await open(ctx, ctx.params.target as string);
        const tables = ctx.outputs.preflight?.tables as string[];
        const copied: Record<string, number> = {};
        await ctx.effect(`create ${tables.length} tables on the target and copy their rows (${tables.join(", ")})`, async () => {
          for (const t of tables) {
            await createTableLike(source, target, t);
            copied[t] = await copyTable(source, target, t, Number(ctx.params.batch));
            ctx.log(`${t}: ${copied[t]} rows`);
          }
        });
        return { copied };
      },
      async verify() {},
    },
    {
      id: "verify",
      title: "Compare row counts and checksums per table",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "every table has the same row count and checksum on both sides",
      async act() {},
      async verify(ctx) {
        const source = await open(ctx, ctx.params.source as string);
        const target = await open(ctx, ctx.params.target as string);
        const tables: Record<string, { source: TableFacts; target: TableFacts }> = {};
        const mismatched: string[] = [];
        for (const t of ctx.outputs.preflight?.tables as string[]) {
          const s = await tableFacts(source, t);
          const d = await tableFacts(target, t);
          tables[t] = { source: s, target: d };
          if (s.rows !== d.rows || s.checksum !== d.checksum) mismatched.push(`${t} (${s.rows} vs ${d.rows} rows)`);
        }
        if (mismatched.length)
          throw new VerifyFailed(`copy differs from source: ${mismatched.join(", ")}; writes during the copy? stop writes and run again into an empty target`);
        return { tables };
      },
    },
    {
      id: "switch",
      title: "Point the app at the target",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "nothing to check here: the stage move's health check verifies the app on the new database",
      async act(ctx) {
        const where = ctx.params.direction === "to-rds" ? "RDS" : "the box's MySQL";
        return {
          next: `set the app's DATABASE_URL to the target (${where}); the stage move does this through the stack's configuration. The source keeps its data: remove it only after the app has run on the target.`,
        };
      },
      async verify() {},
    },
  ],
};
