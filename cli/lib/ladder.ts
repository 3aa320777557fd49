/** The stage ladder as the CLI reads it (stacks/stages.ts is the single source of truth). */
export interface StageInfo {
  id: number;
  name: string;
  summary: string;
  promoteWhen: string | null;
}

const STAGES_MODULE = "../../stacks/stages.ts";

export async function loadLadder(): Promise<readonly StageInfo[]> {
  const m = (await import(STAGES_MODULE)) as { STAGES: readonly StageInfo[] };
  return m.STAGES;
}
