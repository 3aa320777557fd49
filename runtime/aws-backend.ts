/**
 * The runtime backend on AWS: secrets from Secrets Manager (through the VPC's interface endpoint; the instance role
 * may read exactly the secrets its tier's runtime names), generated secrets from the server's own disk. The SDK
 * client is loaded on first use, so nothing pays for it unless a secret is read.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { generatedSecret } from "./generated.ts";
import type { RuntimeBackend } from "./resolve.ts";
import { SERVER_PATHS } from "./servers.ts";
import type { SecretValue } from "./sources.ts";

export interface AwsBackendOptions {
  region: string;
  /** Where generated secrets live. @default SERVER_PATHS.generatedDir */
  generatedDir?: string;
}

/** A backend for the runtime a server gets (outputs already concrete, secrets with their ARNs). */
export function awsBackend(opts: AwsBackendOptions): RuntimeBackend {
  let client: Promise<{ client: SecretsManagerClient; sdk: typeof import("@aws-sdk/client-secrets-manager") }> | undefined;
  const strings = new Map<string, Promise<string>>();
  const secretString = (arn: string): Promise<string> => {
    if (!strings.has(arn)) {
      client ??= import("@aws-sdk/client-secrets-manager").then((sdk) => ({ sdk, client: new sdk.SecretsManagerClient({ region: opts.region }) }));
      strings.set(arn, client.then(({ sdk, client: c }) => c.send(new sdk.GetSecretValueCommand({ SecretId: arn }))).then((out) => {
        if (out.SecretString === undefined) throw new Error(`the secret ${arn} holds binary data, not a string`);
        return out.SecretString;
      }, (error: Error) => {
        strings.delete(arn); // a failed read is retried by the next call, not remembered
        throw new Error(`cannot read the secret ${arn}: ${describe(error)}`, { cause: error });
      }));
    }
    return strings.get(arn)!;
  };
  return {
    output(value) {
      return Promise.reject(new Error(`${value.urn} ${value.output} is a plan-form output: the runtime a server gets carries outputs as strings`));
    },
    async secret(value: SecretValue) {
      if (value.arn === undefined) throw new Error(`the secret of ${value.urn} has no ARN: the runtime a server gets names every secret by ARN`);
      const text = await secretString(value.arn);
      return value.field === undefined ? text : pickField(value.arn, text, value.field);
    },
    generated(value) {
      return generatedSecret(opts.generatedDir ?? SERVER_PATHS.generatedDir, value.name);
    },
  };
}

function pickField(arn: string, text: string, field: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`the secret ${arn} is not JSON, so it has no field ${field}`);
  }
  const value = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>)[field] : undefined;
  if (typeof value !== "string") throw new Error(`the secret ${arn} has no string field ${field}`);
  return value;
}

// The SDK's errors name the exception; say what it means here. Never the secret's value: the SDK never puts it there.
function describe(error: Error): string {
  switch (error.name) {
    case "ResourceNotFoundException": return "it does not exist (deleted, or another region?)";
    case "AccessDeniedException": return "the instance role may not read it (its grants come from the tier's runtime)";
    case "DecryptionFailure": return "Secrets Manager could not decrypt it with its KMS key";
    default: return `${error.name}: ${error.message}`;
  }
}
