import type { Runbook } from "./lib/types.ts";
import { VerifyFailed } from "./lib/types.ts";

export const queueRedrive: Runbook = {
  id: "queue-redrive",
  title: "Move messages from the dead-letter queue back to their source queue",
  whenToUse: "queue-dlq-not-empty fired and the cause (a bug, a dependency outage) is fixed, so the messages can be retried.",
  answersAlarms: ["queue-dlq-not-empty"],
  destructive: true,
  params: [
    { name: "dlq-arn", description: "the dead-letter queue's ARN", required: true, pattern: /^arn:aws[\w-]*:sqs:/ },
    { name: "dlq-url", description: "the dead-letter queue's URL (to count what is left)", required: true, pattern: /^https:\/\/\S+$/ },
  ],
  steps: [
    {
      id: "count",
      title: "Count the messages in the dead-letter queue",
      timeoutSeconds: 60,
      onFailure: "abort",
      verifies: "there is something to move",
      async act(ctx) {
        return { messages: await visibleMessages(ctx) };
      },
      async verify(_ctx, acted) {
        if (acted.messages === 0) throw new VerifyFailed("the dead-letter queue is empty: nothing to redrive");
      },
    },
    {
      id: "redrive",
      title: "Start a message move task and wait until it completes",
      timeoutSeconds: 3600,
      onFailure: "abort",
      verifies: "the move task reports COMPLETED and the dead-letter queue is empty",
      async act(ctx) {
        const { StartMessageMoveTaskCommand } = await import("@aws-sdk/client-sqs");
        const out = await (await ctx.aws.sqs()).send(new StartMessageMoveTaskCommand({ SourceArn: ctx.params["dlq-arn"] }));
        return { taskHandle: out.TaskHandle };
      },
      async verify(ctx) {
        const { ListMessageMoveTasksCommand } = await import("@aws-sdk/client-sqs");
        const sqs = await ctx.aws.sqs();
        const task = await ctx.waitFor("the move task to finish", async () => {
          const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: ctx.params["dlq-arn"], MaxResults: 1 }))).Results?.[0];
          if (t?.Status === "FAILED" || t?.Status === "CANCELLED") throw new VerifyFailed(`move task ${t.Status}: ${t.FailureReason ?? ""}`);
          return t?.Status === "COMPLETED" ? t : undefined;
        });
        const left = await visibleMessages(ctx);
        if (left > 0) throw new VerifyFailed(`${left} messages are back in the dead-letter queue: the cause is not fixed`);
        return { moved: task.ApproximateNumberOfMessagesMoved };
      },
    },
  ],
};

async function visibleMessages(ctx: Parameters<Runbook["steps"][number]["act"]>[0]): Promise<number> {
  const { GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
  const out = await (await ctx.aws.sqs()).send(
    new GetQueueAttributesCommand({ QueueUrl: ctx.params["dlq-url"], AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}
