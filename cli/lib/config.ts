/**
 * The CLI's environment, parsed once. Nothing else in cli/ or runbooks/ reads process.env.
 */
import { userInfo } from "node:os";
import { z } from "zod";

const Env = z.object({
  SCALE_AUDIT_LOG: z.string().min(1).optional(),
  SCALE_STACK: z.string().min(1).optional(),
  SCALE_OPERATOR: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  USER: z.string().optional(),
});

export interface CliConfig {
  /** Where the audit log goes unless --audit-log says otherwise. */
  auditLog: string;
  /** The Pulumi stack unless --stack says otherwise. */
  stack: string;
  /** Who is running the command, for the audit log. */
  operator: string;
  region: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<CliConfig> {
  const e = Env.parse(env);
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
  });
}
