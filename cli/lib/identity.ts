/**
 * Who a command acts as, resolved before anything runs: the AWS account and caller (STS
 * GetCallerIdentity), the region and the stack. Shown in the preview and the prompt and written
 * into the audit log, so nobody changes the wrong account, and a missing credential is said up front.
 */
import { OperatorMistake } from "./errors.ts";
import { regionProblem } from "./regions.ts";

export interface Identity {
  stack: string;
  region: string;
  /** null when the command makes no AWS call (nothing was asked of STS). */
  account: string | null;
  arn: string | null;
}

const NO_CREDENTIALS = /could not load credentials|credential.*(missing|not found)|no credentials|CredentialsProviderError|ExpiredToken|security token.*(invalid|expired)|InvalidClientTokenId|SignatureDoesNotMatch|sso.*(expired|token)/i;

export function checkRegion(region: string, from = "--region"): void {
  const problem = regionProblem(region);
  if (problem) throw new OperatorMistake(`${from}: ${problem}`);
}

export async function resolveIdentity(opts: { stack: string; region: string; aws: boolean }): Promise<Identity> {
  checkRegion(opts.region);
  if (!opts.aws) return { stack: opts.stack, region: opts.region, account: null, arn: null };
  const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  const sts = new STSClient({ region: opts.region, maxAttempts: 2 });
  try {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    return { stack: opts.stack, region: opts.region, account: me.Account ?? null, arn: me.Arn ?? null };
  } catch (err) {
    const e = err as Error;
    if (NO_CREDENTIALS.test(`${e.name} ${e.message}`))
      throw new OperatorMistake(`no usable AWS credentials (${e.message.split("\n")[0]}): set AWS_PROFILE or run \`aws sso login\``, [
        "set AWS_PROFILE to a configured profile, run `aws sso login` (or `aws configure`), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        "`aws sts get-caller-identity` shows who you are once it works",
      ]);
    throw new Error(`cannot ask AWS who you are (sts:GetCallerIdentity in ${opts.region}): ${e.message}`);
  } finally {
    sts.destroy();
  }
}

export function describeIdentity(id: Identity): string {
  const who = id.account ? `account ${id.account}${id.arn ? ` as ${id.arn}` : ""}` : "no AWS calls";
  return `stack ${id.stack}, region ${id.region}, ${who}`;
}
