import type { Step, StepContext } from "./types.ts";

/** The closing step of a diagnosing runbook: turns what the earlier steps found into advice, and changes nothing. */
export function adviceStep(advise: (ctx: StepContext) => Record<string, unknown> & { advice: string[] }): Step {
  return {
    id: "advice",
    title: "Say what to do",
    timeoutSeconds: 10,
    onFailure: "continue",
    verifies: "nothing: advice only",
    async act(ctx) {
      return advise(ctx);
    },
    async verify() {},
  };
}
