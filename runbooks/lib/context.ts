/**
 * What a step can use: its parameters, earlier steps' outputs, and clients. AWS clients come
 * wrapped so every call is recorded, and under --dry-run a call that changes state is recorded
 * and skipped (reads still run, so the plan shows real names). Other side effects go through
 * `effect`, which a dry run records and skips the same way.
 */
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Params } from "./types.ts";

export interface RecordedCall {
  service: string;
  action: string;
  input: unknown;
  /** false when --dry-run skipped it. */
  executed: boolean;
}

export interface AwsClients {
  rds(): Promise<RDSClient>;
  ec2(): Promise<EC2Client>;
  autoScaling(): Promise<AutoScalingClient>;
  elbv2(): Promise<ElasticLoadBalancingV2Client>;
  cloudwatch(): Promise<CloudWatchClient>;
  sqs(): Promise<SQSClient>;
}

export interface StepContext {
  readonly params: Params;
  readonly dryRun: boolean;
  /** Outputs of the steps that ran before, by step id. */
  readonly outputs: Readonly<Record<string, Record<string, unknown>>>;
  readonly aws: AwsClients;
  readonly signal: AbortSignal;
  /** Run a state-changing action that is not an AWS call; a dry run records `description` instead. */
  effect<T>(description: string, action: () => Promise<T>): Promise<T | undefined>;
  /** Poll until `probe` returns a value other than undefined/false, or the step times out. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T>;
  /** Progress for the operator (stderr). */
  log(line: string): void;
  /** Close this when the run ends (database and Redis connections). */
  onCleanup(close: () => Promise<unknown>): void;
  /** What the step has done so far (rows copied...): recorded if the run is interrupted mid-step. */
  progress(facts: Record<string, unknown>): void;
}

const READ_ONLY = /^(Describe|List|Get)/;

type Sendable = { send(command: unknown, ...rest: unknown[]): Promise<unknown> };

/** Wrap a client so its calls are recorded and, in a dry run, state changes are skipped. */
export function recording<C extends object>(client: C, service: string, calls: RecordedCall[], dryRun: boolean): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "send") return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string }; input?: unknown }) => {
        const action = command.constructor.name.replace(/Command$/, "");
        const executed = !dryRun || READ_ONLY.test(action);
        calls.push({ service, action, input: command.input, executed });
        if (!executed) return {};
        return (target as unknown as Sendable).send(command);
      };
    },
  });
}

/** Real AWS SDK v3 clients, each loaded only when a step first asks for it. */
export function lazyAwsClients(region: string, calls: RecordedCall[], dryRun: boolean): AwsClients {
  const cache = new Map<string, Promise<object>>();
  function client<C extends object>(service: string, load: () => Promise<C>): Promise<C> {
    let c = cache.get(service);
    if (!c) {
      c = load().then((raw) => recording(raw, service, calls, dryRun));
      cache.set(service, c);
    }
    return c as Promise<C>;
  }
  return {
    rds: () => client("rds", async () => new (await import("@aws-sdk/client-rds")).RDSClient({ region })),
    ec2: () => client("ec2", async () => new (await import("@aws-sdk/client-ec2")).EC2Client({ region })),
    autoScaling: () =>
      client("autoscaling", async () => new (await import("@aws-sdk/client-auto-scaling")).AutoScalingClient({ region })),
    elbv2: () =>
      client(
        "elbv2",
        async () => new (await import("@aws-sdk/client-elastic-load-balancing-v2")).ElasticLoadBalancingV2Client({ region }),
      ),
    cloudwatch: () =>
      client("cloudwatch", async () => new (await import("@aws-sdk/client-cloudwatch")).CloudWatchClient({ region })),
    sqs: () => client("sqs", async () => new (await import("@aws-sdk/client-sqs")).SQSClient({ region })),
  };
}
