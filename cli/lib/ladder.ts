/** The stage ladder as the CLI reads it (stacks/stages.ts is the single source of truth; it has no Pulumi import). */
import type { Stage } from "../../stacks/stages.ts";

export type StageInfo = Pick<Stage, "id" | "name" | "summary" | "promoteWhen">;

export async function loadLadder(): Promise<readonly StageInfo[]> {
  return (await import("../../stacks/stages.ts")).STAGES;
}
