/**
 * The migration step (`npm run migrate`; a release's bin/scale-migrate). Without admin credentials it applies the
 * pending migrations to DATABASE_URL (or to the SQLite file in DATA_DIR). With them (--admin-url or
 * DATABASE_ADMIN_URL, the password in --admin-password-file / DATABASE_ADMIN_PASSWORD_FILE or the URL) it first
 * creates the database and the application user DATABASE_URL names, with the password in DATABASE_PASSWORD_FILE
 * and only the grants the service needs, then applies the migrations as the admin. Both are idempotent.
 * Exit codes: 0 done, 1 failed, 2 usage. --json prints one JSON document on stdout.
 */
import { parseArgs } from "node:util";
import { loadConfig, ConfigError, type Config } from "./config.ts";
import { migrate } from "./db/migrate.ts";
import { openDatabase } from "./db/connect.ts";
import { migrateWith } from "./db/migrate.ts";
import { databaseLabel, mysqlAccess } from "./db/mysql.ts";
import { provisionAppAccount } from "./db/provision.ts";
import { readPasswordFile } from "./db/rotating-pool.ts";

const USAGE = `usage: scale-migrate [--admin-url mysql://admin@host:3306] [--admin-password-file FILE] [--app-host HOST] [--json]
  settings from the environment: DATABASE_URL (the application user and database), DATABASE_PASSWORD_FILE,
  DATABASE_TLS, DATABASE_TLS_CA_FILE, DATABASE_ADMIN_URL, DATABASE_ADMIN_PASSWORD_FILE, DATA_DIR`;

class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({
      options: {
        "admin-url": { type: "string" },
        "admin-password-file": { type: "string" },
        "app-host": { type: "string", default: "%" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Create the database and the application user as the admin, then migrate as the admin. */
async function provisionAndMigrate(config: Config, appHost: string) {
  if (!config.DATABASE_URL) throw new UsageError("admin credentials need DATABASE_URL: mysql://<app user>@host:3306/<database>");
  const target = new URL(config.DATABASE_URL);
  const adminUrl = new URL(config.DATABASE_ADMIN_URL!);
  const database = decodeURIComponent(target.pathname.slice(1));
  const user = decodeURIComponent(target.username);
  if (!database || !user) throw new UsageError("DATABASE_URL must name the application user and the database: mysql://app@host:3306/app");
  if (user === decodeURIComponent(adminUrl.username)) throw new UsageError("DATABASE_URL names the admin user: the service needs a user of its own");
  const password = config.DATABASE_PASSWORD_FILE ? readPasswordFile(config.DATABASE_PASSWORD_FILE) : decodeURIComponent(target.password);
  if (!password) throw new UsageError("the application user needs a password: set DATABASE_PASSWORD_FILE");
  const secrets = [password, decodeURIComponent(adminUrl.password)];

  const { access } = mysqlAccess({ ...config, DATABASE_PASSWORD_FILE: config.DATABASE_ADMIN_PASSWORD_FILE });
  const onServer = openDatabase({ databaseUrl: adminUrl.toString(), poolSize: 1, access });
  let provisioned;
  try {
    provisioned = await provisionAppAccount(onServer.db as never, { database, user, host: appHost, password });
  } catch (err) {
    throw new Error(redact((err as Error).message, secrets), { cause: err });
  } finally {
    await onServer.close();
  }
  adminUrl.pathname = `/${encodeURIComponent(database)}`;
  const inDatabase = openDatabase({ databaseUrl: adminUrl.toString(), poolSize: 2, access });
  try {
    const { applied } = await migrateWith(inDatabase);
    return { target: `${databaseLabel(config.DATABASE_URL)}/${database}`, database, user: `${user}@${appHost}`, ...provisioned, applied };
  } finally {
    await inDatabase.close();
  }
}

const redact = (text: string, secrets: string[]) => secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("***"), text);

async function main(): Promise<number> {
  let json = false;
  try {
    const flags = parse();
    json = flags.json;
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const config = loadConfig(process.env, {
      DATABASE_ADMIN_URL: flags["admin-url"],
      DATABASE_ADMIN_PASSWORD_FILE: flags["admin-password-file"],
    });
    let result: object;
    if (config.DATABASE_ADMIN_URL) {
      result = await provisionAndMigrate(config, flags["app-host"]);
    } else {
      const { access } = mysqlAccess(config);
      const { applied } = await migrate({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, access });
      const target = config.DATABASE_URL ? `${databaseLabel(config.DATABASE_URL)}${new URL(config.DATABASE_URL).pathname}` : `the SQLite file in ${config.DATA_DIR}`;
      result = { target, applied };
    }
    const { target, applied } = result as { target: string; applied: string[] };
    console.log(json ? JSON.stringify(result) : applied.length ? `applied ${applied.join(", ")} to ${target}` : `${target} is up to date`);
    return 0;
  } catch (err) {
    const usage = err instanceof ConfigError || err instanceof UsageError;
    const message = usage ? `${(err as Error).message}\n${USAGE}` : `migrate failed: ${(err as Error).message}`;
    console.error(message);
    if (json) console.log(JSON.stringify({ error: (err as Error).message.split("\n")[0] }));
    return usage ? 2 : 1;
  }
}

process.exit(await main());
