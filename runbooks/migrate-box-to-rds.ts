import type { Connection, RowDataPacket } from "mysql2/promise";
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
 * Kysely's bookkeeping (the migrations applied, the lock): a target prepared with `scale db migrate` holds rows there
 * and is still empty of data. The copy replaces them with the source's, which describe the copied data.
 */
export const MIGRATION_TABLES: readonly string[] = ["kysely_migration", "kysely_migration_lock"];
const isBookkeeping = (t: string) => MIGRATION_TABLES.includes(t);

async function appliedMigrations(conn: Connection, tables: readonly string[]): Promise<string[]> {
  if (!tables.includes("kysely_migration")) return [];
  const [rows] = await conn.query<RowDataPacket[]>("SELECT name FROM kysely_migration ORDER BY name");
  return rows.map((r) => r.name as string);
}

/** "1,234" */
const n = (v: number) => v.toLocaleString("en-US");

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
  interrupted(step, run) {
    if (run.dryRun || step === "preflight") return { state: "nothing was changed on either database", cleanup: "nothing to clean up: run it again" };
    const where = run.params.direction === "to-box" ? "the box's MySQL" : "RDS";
    if (step === "copy") {
      const p = run.progress as { table?: string; tablesDone?: string[]; rowsCopied?: number; rowsTotal?: number };
      const done = p.tablesDone ?? [];
      const partial = p.table && !done.includes(p.table) ? [p.table] : [];
      const touched = [...done, ...partial];
      return {
        state:
          `the copy into ${where} stopped part way: ` +
          (done.length ? `${done.join(", ")} copied in full; ` : "") +
          (partial.length ? `${p.table} holds ${n(p.rowsCopied ?? 0)} of ${n(p.rowsTotal ?? 0)} rows; ` : "") +
          "the source is unchanged and the app still uses it",
        cleanup: touched.length
          ? `empty the target before running again: DROP TABLE ${touched.map((t) => `\`${t}\``).join(", ")} on the target database (or use a new empty database), then run migrate-box-to-rds again`
          : "the target holds no copied rows: run migrate-box-to-rds again",
      };
    }
    return {
      state: `the copy into ${where} is complete but ${step === "verify" ? "was not verified" : "the app was not switched"}; the source is unchanged and the app still uses it`,
      cleanup: "empty the target (drop its tables) and run migrate-box-to-rds again, so the copy is verified before the app moves",
    };
  },
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
        const targetList = await listTables(target);
        const targetTables = new Set(targetList);
        const notEmpty: string[] = [];
        const rowsToCopy: Record<string, number> = {};
        for (const t of tables) {
          rowsToCopy[t] = (await tableFacts(source, t)).rows;
          if (!isBookkeeping(t) && targetTables.has(t) && (await tableFacts(target, t)).rows > 0) notEmpty.push(t);
        }
        // A target migrated ahead of the source has a schema the source's rows may not fit.
        const sourceMigrations = new Set(await appliedMigrations(source, tables));
        const ahead = (await appliedMigrations(target, targetList)).filter((m) => !sourceMigrations.has(m));
        const prepared = targetList.filter((t) => !isBookkeeping(t)).length > 0 && notEmpty.length === 0;
        return { sourceDatabase: await databaseName(source), targetDatabase: await databaseName(target), tables, rowsToCopy, notEmpty, migrationsAhead: ahead, preparedSchema: prepared };
      },
      async verify(_ctx, acted) {
        const notEmpty = acted.notEmpty as string[];
        if (notEmpty.length)
          throw new VerifyFailed(`target tables already hold rows: ${notEmpty.join(", ")}; copy into an empty database (nothing was changed)`);
        const ahead = acted.migrationsAhead as string[];
        if (ahead.length)
          throw new VerifyFailed(`the target has migrations the source lacks (${ahead.join(", ")}): migrate the source first or use a target at the same schema (nothing was changed)`);
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
        const totals = (ctx.outputs.preflight?.rowsToCopy ?? {}) as Record<string, number>;
        const copied: Record<string, number> = {};
        const started = Date.now();
        await ctx.effect(`create ${tables.length} tables on the target and copy their rows (${tables.join(", ")})`, async () => {
          for (const t of tables) {
            const total = totals[t] ?? 0;
            ctx.progress({ table: t, tablesDone: Object.keys(copied), rowsCopied: 0, rowsTotal: total });
            await createTableLike(source, target, t);
            if (isBookkeeping(t)) await target.query(`DELETE FROM \`${t}\``);
            let shown = Date.now();
            copied[t] = await copyTable(source, target, t, Number(ctx.params.batch), (rows) => {
              ctx.progress({ rowsCopied: rows });
              // Interrupted or timed out: stop between two batches, so the record says exactly what was copied.
              if (ctx.signal.aborted) throw ctx.signal.reason;
              // A progress line a second at most: enough to see it move, not enough to flood a log.
              if (Date.now() - shown >= 1000) {
                shown = Date.now();
                ctx.log(`${t}: ${n(rows)} of ${n(total)} rows (${total ? Math.floor((rows / total) * 100) : 100}%), ${Math.round((Date.now() - started) / 1000)} s`);
              }
            });
            ctx.log(`${t}: ${n(copied[t])} of ${n(total)} rows copied`);
          }
          ctx.progress({ tablesDone: Object.keys(copied) });
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
