import { expect } from "chai";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { useStageDeps } from "../../../cli/lib/stage-deps.ts";
import { startMariaDb } from "../../support/servers.ts";
import { json, scale } from "../run-scale.ts";
import { FakeEngine, FakePlanner, fakeIdentity } from "./fakes.ts";
import type { TransitionReport } from "../../../cli/lib/transition.ts";
import { tempDir } from "../../support/tmp.ts";

// The 0 -> 1 move with its data step run for real between two throwaway MariaDB servers (box and "RDS").
describe("scale stage up 0 -> 1 (real data move)", function () {
  this.timeout(60_000);
  let server: Server;
  let endpoint: string;
  let engine: FakeEngine;
  let planner: FakePlanner;
  let restore: () => void;
  const auditPath = join(tempDir("scale-stage"), "audit.jsonl");
  const up = (...args: string[]) => scale(["stage", "up", "--audit-log", auditPath, ...args]);

  before(async () => {
    server = createServer((req, res) => res.writeHead(req.url === "/healthz" ? 200 : 404).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    engine = new FakeEngine(0, {});
    planner = new FakePlanner();
    restore = useStageDeps({ identity: fakeIdentity, engine: async () => engine, planner: async () => planner, healthTimeoutMs: 300, healthIntervalMs: 20 });
  });
  after(() => {
    restore();
    server.close();
  });

  it("0 -> 1 creates RDS first, copies the data into it, then switches the app with the full update", async () => {
    const [box, rds] = await Promise.all([startMariaDb({ serverId: 1 }), startMariaDb({ serverId: 2 })]);
    try {
      await box.sql("CREATE DATABASE app; CREATE TABLE app.items (id VARCHAR(36) PRIMARY KEY, content TEXT); INSERT INTO app.items VALUES ('a', 'x'), ('b', NULL)");
      await rds.sql("CREATE DATABASE app");
      engine.stage = 0;
      engine.deployedOutputs = { endpoint, databaseEndpoint: `127.0.0.1:${rds.port}` };
      planner.changes = [
        { urn: "urn:db", type: "aws:rds/instance:Instance", action: "create", stateful: true, fields: [] },
        { urn: "urn:box", type: "aws:ec2/instance:Instance", action: "update", stateful: false, fields: ["userData"] },
      ];
      const run = await up("--yes", "--json", "--param", `source=${box.url}/app`, "--param", "target=mysql://root@{databaseEndpoint}/app");
      expect(run.exit, run.stdout).to.equal(0);
      expect(engine.calls.filter((c) => c.op === "up")).to.deep.equal([{ op: "up", stage: 1, targets: ["urn:db"] }, { op: "up", stage: 1 }]);
      expect(json<TransitionReport>(run).steps.map((s) => s.id)).to.deep.equal(["check-move", "safety-check", "preview", "confirm", "expand", "migrate-data", "up", "verify"]);
      expect(await rds.sql("SELECT COUNT(*) FROM app.items")).to.equal("2\n");
      expect(await box.sql("SELECT COUNT(*) FROM app.items")).to.equal("2\n");
    } finally {
      await Promise.all([box.stop(), rds.stop()]);
    }
  });

});
