/**
 * The CLI's environment, parsed once. Nothing else in cli/ or runbooks/ reads process.env.
 */
import { userInfo } from "node:os";

// zod loads only when a command reads its environment: every command file is loaded for --help.
async function envSchema() {
  const { z } = await import("zod");
  return z.object({
    SCALE_AUDIT_LOG: z.string().min(1).optional(),
    SCALE_STACK: z.string().min(1).optional(),
    SCALE_OPERATOR: z.string().min(1).optional(),
    AWS_REGION: z.string().min(1).optional(),
    AWS_DEFAULT_REGION: z.string().min(1).optional(),
    USER: z.string().optional(),
    DATABASE_URL: z.string().min(1).optional(),
    DATA_DIR: z.string().min(1).optional(),
  });
}

export interface CliConfig {
  /** Where the audit log goes unless --audit-log says otherwise. */
  auditLog: string;
  /** The Pulumi stack unless --stack says otherwise. */
  stack: string;
  /** Who is running the command, for the audit log. */
  operator: string;
  region: string;
  /** The app's database, for `scale db migrate` (the same variable the app reads). */
  databaseUrl?: string;
  dataDir?: string;
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Readonly<CliConfig>> {
  const e = (await envSchema()).parse(env);
  let operator = e.SCALE_OPERATOR ?? e.USER;
  if (!operator) {
    try {
      operator = userInfo().username;
    } catch {
      operator = "unknown";
    }
  }
  return Object.freeze({
    auditLog: e.SCALE_AUDIT_LOG ?? ".scale/audit.jsonl",
    stack: e.SCALE_STACK ?? "dev",
    operator,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(e.DATABASE_URL ? { databaseUrl: e.DATABASE_URL } : {}),
    ...(e.DATA_DIR ? { dataDir: e.DATA_DIR } : {}),
  });
}
