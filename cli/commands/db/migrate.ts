import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { loadConfig } from "../../lib/config.ts";
import { redactString } from "../../lib/redact.ts";

export default class DbMigrate extends BaseCommand {
  static override description = "Apply the app's pending schema migrations to a database (safe to run from several places at once).";
  static override examples = [
    "<%= config.bin %> db migrate --database-url mysql://app:PW@db.internal:3306/app",
    "DATABASE_URL=mysql://app:PW@db.internal/app <%= config.bin %> db migrate --json",
    "<%= config.bin %> db migrate --data-dir ./.data   # the embedded SQLite default",
  ];
  static override flags = {
    "database-url": Flags.string({ description: "mysql:// URL with the database name [env: DATABASE_URL]", exclusive: ["data-dir"] }),
    "data-dir": Flags.string({ description: "folder of the embedded SQLite database [env: DATA_DIR]" }),
    "audit-log": Flags.string({ description: "audit log file (JSON lines) [env: SCALE_AUDIT_LOG; default .scale/audit.jsonl]" }),
  };

  async run() {
    const { flags } = await this.parse(DbMigrate);
    const config = await loadConfig();
    const { openAudit } = await import("../../lib/audit.ts");
    // A schema change is a change to production: recorded like a move or a runbook, and the log checked first.
    const audit = openAudit(flags["audit-log"] ?? config.auditLog, config.operator);
    const databaseUrl = flags["database-url"] ?? (flags["data-dir"] ? undefined : config.databaseUrl);
    const dataDir = flags["data-dir"] ?? config.dataDir;
    if (!databaseUrl && !dataDir)
      this.usageError("say which database: --database-url mysql://user:pw@host:3306/db (or DATABASE_URL), or --data-dir for the embedded SQLite");
    if (databaseUrl) {
      let url: URL;
      try {
        url = new URL(databaseUrl);
      } catch {
        this.usageError(`--database-url: "${redactString(databaseUrl)}" is not a URL; write mysql://user:pw@host:3306/dbname`);
      }
      if (!/^(mysql|mariadb):$/.test(url.protocol) || url.pathname.length < 2)
        this.usageError(`--database-url must be mysql://user:pw@host:3306/dbname (a MySQL URL with the database name), got ${redactString(databaseUrl)}`);
    }
    // The app owns its migrations; loaded only here (kysely and the drivers are not needed for --help).
    const { migrate } = await import("../../../app/db/migrate.ts");
    const target = databaseUrl ? redactString(databaseUrl) : `the SQLite database in ${dataDir}`;
    let applied: string[];
    try {
      ({ applied } = await migrate(databaseUrl ? { databaseUrl } : { dataDir }));
    } catch (err) {
      audit.record({ kind: "db.migrate", target, result: "failed", error: redactString((err as Error).message) });
      this.failed(`migrating ${target} failed: ${redactString((err as Error).message)}`, [
        "check the URL, that the database exists and that the user may create tables",
      ]);
    }
    audit.record({ kind: "db.migrate", target, result: "succeeded", applied });
    if (!this.jsonEnabled()) this.log(applied.length ? `applied ${applied.join(", ")} to ${target}` : `${target} is up to date`);
    return { target, applied };
  }
}
