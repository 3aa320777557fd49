import { expect } from "chai";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { json, scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner } from "./fakes.ts";

describe("scale stage status", () => {
  let restore: () => void = () => {};
  afterEach(() => restore());

  it("shows the current stage, the next one and the deployment's endpoints", async () => {
    const engine = new FakeEngine(3, {
      endpoint: "https://app.example.com",
      databaseEndpoint: "db.abc.us-east-1.rds.amazonaws.com",
      replicaEndpoints: ["r1.rds", "r2.rds"],
      cacheEndpoint: "cache.use1.cache.amazonaws.com",
    });
    restore = useStageDeps({ engine: async () => engine, planner: async () => new FakePlanner() });
    const status = json<{ stage: number; next: { id: number }; replicaEndpoints: string[]; deployed: boolean }>(
      await scale(["stage", "status", "--stack", "prod", "--json"]),
    );
    expect(status).to.deep.include({ stage: 3, deployed: true });
    expect(status.next.id).to.equal(4);
    expect(status.replicaEndpoints).to.deep.equal(["r1.rds", "r2.rds"]);
    const human = await scale(["stage", "status", "--stack", "prod"]);
    expect(human.stdout).to.match(/Stack prod: stage 3/).and.match(/Next: stage 4/);
  });

  it("says when nothing is deployed", async () => {
    restore = useStageDeps({ engine: async () => new FakeEngine(undefined, {}), planner: async () => new FakePlanner() });
    const run = await scale(["stage", "status"]);
    expect(run.exit).to.equal(0);
    expect(run.stdout).to.match(/no stage set/).and.match(/nothing deployed yet/).and.match(/Next: stage 0/);
  });
});
