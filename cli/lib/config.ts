/**
 * The CLI's environment, parsed once. Nothing else in cli/ or runbooks/ reads process.env.
 * A variable that is set but wrong (empty, an unknown region) is a usage error naming the
 * variable, never a raw validation dump.
 */
import { userInfo } from "node:os";
import { regionProblem } from "./regions.ts";
import { OperatorMistake } from "./errors.ts";

/** A variable of the CLI's environment is set but unusable: the command exits 2 with this message. */
export class ConfigError extends OperatorMistake {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`environment variable ${variable}: ${problem}; fix or unset it`);
  }
}

const nonEmpty = "is set but empty";

// zod loads only when a command reads its environment: every command file is loaded for --help.
async function envSchema() {
  const { z } = await import("zod");
  const region = z
    .string()
    .min(1, nonEmpty)
    .superRefine((v, ctx) => {
      const problem = regionProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
  return z.object({
    SCALE_AUDIT_LOG: z.string().min(1, nonEmpty).optional(),
    SCALE_STACK: z.string().min(1, nonEmpty).regex(/^[\w.-]+$/, "is not a stack name (letters, digits, - _ .)").optional(),
    SCALE_OPERATOR: z.string().min(1, nonEmpty).optional(),
    AWS_REGION: region.optional(),
    AWS_DEFAULT_REGION: region.optional(),
    USER: z.string().optional(),
    DATABASE_URL: z.string().min(1, nonEmpty).optional(),
    DATA_DIR: z.string().min(1, nonEmpty).optional(),
    NO_COLOR: z.string().optional(),
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
  /** NO_COLOR is set (to anything non-empty): plain output even on a terminal. */
  noColor: boolean;
}

/**
 * NO_COLOR (any non-empty value) turns colour off. Read on its own and synchronously: printing
 * needs it even in commands that parse no other environment.
 */
export function noColorSet(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.NO_COLOR);
}

export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Readonly<CliConfig>> {
  const parsed = (await envSchema()).safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? "?"), issue.message);
  }
  const e = parsed.data;
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
    noColor: noColorSet(env),
  });
}
