/**
 * The switch on AWS: SSM Run Command (`AWS-RunShellScript`) on the instances tagged with the stack and the tier
 * writes the tier's new runtime (no secret values: outputs concrete, secrets as ARNs) and runs the boot program
 * again, which resolves it and restarts the service; the command waits for /readyz on the instance itself.
 */
import { ListCommandInvocationsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { APP_PORT, HEALTH_CHECK_PATH, SERVER_PATHS } from "../../runtime/servers.ts";
import type { TierRuntime } from "../../runtime/sources.ts";

export interface SsmSwitchOptions {
  ssm: SSMClient;
  stack: string;
  runtime: TierRuntime;
  /** How long the instances may take. @default 300 */
  timeoutSeconds?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** The shell the instances run: replace the runtime file atomically, boot again, wait until the service is ready. */
export function switchCommands(runtime: TierRuntime): string[] {
  const json = JSON.stringify(runtime);
  if (json.includes("\nRUNTIME")) throw new Error("the runtime would end the here-document early");
  return [
    "set -euo pipefail",
    `cat > ${SERVER_PATHS.runtime}.new <<'RUNTIME'\n${json}\nRUNTIME`,
    `chmod 0644 ${SERVER_PATHS.runtime}.new`,
    `mv ${SERVER_PATHS.runtime}.new ${SERVER_PATHS.runtime}`,
    `${SERVER_PATHS.current}/bin/scale-boot --tier ${runtime.tier} --runtime ${SERVER_PATHS.runtime}`,
    "systemctl restart scale-app",
    `for i in $(seq 1 60); do curl -fsS -o /dev/null http://127.0.0.1:${APP_PORT}${HEALTH_CHECK_PATH} && exit 0; sleep 1; done`,
    `echo "the service did not answer ${HEALTH_CHECK_PATH} within 60 s after the switch" >&2; exit 1`,
  ];
}

const DONE = new Set(["Success", "Cancelled", "TimedOut", "Failed"]);

/** Run the switch on every instance of the tier; resolves with their ids, rejects naming each one that failed. */
export async function ssmSwitch(o: SsmSwitchOptions): Promise<{ commandId: string; instances: string[] }> {
  const timeoutSeconds = o.timeoutSeconds ?? 300;
  const sent = await o.ssm.send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      Targets: [
        { Key: "tag:scale:stack", Values: [o.stack] },
        { Key: "tag:scale:tier", Values: [o.runtime.tier] },
      ],
      Parameters: { commands: switchCommands(o.runtime), executionTimeout: [String(timeoutSeconds)] },
      Comment: `scale: switch the ${o.runtime.tier} tier's runtime`,
      TimeoutSeconds: timeoutSeconds,
      MaxErrors: "0",
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new Error("SSM accepted no command (no CommandId in its answer)");
  const deadline = Date.now() + (timeoutSeconds + 60) * 1000;
  for (;;) {
    const r = await o.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    const invocations = r.CommandInvocations ?? [];
    if (invocations.length > 0 && invocations.every((i) => DONE.has(i.Status ?? ""))) {
      const failed = invocations.filter((i) => i.Status !== "Success");
      if (failed.length)
        throw new Error(
          `the switch failed on ${failed.map((i) => `${i.InstanceId} (${i.Status}: ${(i.CommandPlugins?.[0]?.Output ?? "").trim().slice(-300)})`).join(", ")}`,
        );
      return { commandId, instances: invocations.map((i) => i.InstanceId ?? "?") };
    }
    if (Date.now() > deadline)
      throw new Error(
        invocations.length === 0
          ? `no instance tagged scale:stack=${o.stack} and scale:tier=${o.runtime.tier} took the switch command ${commandId}: is the SSM agent running there?`
          : `the switch command ${commandId} did not finish within ${timeoutSeconds} s`,
      );
    await new Promise((res) => setTimeout(res, o.pollMs ?? 2000));
  }
}
