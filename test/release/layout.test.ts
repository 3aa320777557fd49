import { expect } from "chai";
import { loadConfig } from "../../app/config.ts";
import { SERVER_PATHS } from "../../runtime/servers.ts";
import { ENTRIES, startScript, units, WORKER_JOB_SECONDS } from "../../release/layout.ts";

const directive = (unit: string, name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, "gm"))].map((m) => m[1]);

describe("release/layout", () => {
  const drainMs = loadConfig({}).SHUTDOWN_DEADLINE_MS;
  const all = units({ appDrainMs: drainMs });

  it("has a hardened unit for the service and one for the worker, running the release in service", () => {
    expect(Object.keys(all)).to.deep.equal(["scale-app.service", "scale-worker.service"]);
    for (const [name, unit] of Object.entries(all)) {
      expect(directive(unit, "User"), name).to.deep.equal(["scale"]);
      for (const [key, value] of [["ProtectSystem", "strict"], ["NoNewPrivileges", "yes"], ["PrivateTmp", "yes"], ["Restart", "always"], ["ProtectHome", "yes"], ["CapabilityBoundingSet", ""]]) {
        expect(directive(unit, key!), `${name} ${key}`).to.deep.equal([value]);
      }
      expect(directive(unit, "EnvironmentFile")).to.deep.equal([SERVER_PATHS.envFile]);
      expect(directive(unit, "ExecStart")[0]).to.match(new RegExp(`^${SERVER_PATHS.current}/bin/scale-(app|worker)$`));
    }
  });

  it("gives each process time to drain before systemd kills it", () => {
    const app = Number(directive(all["scale-app.service"]!, "TimeoutStopSec")[0]);
    expect(app * 1000).to.be.greaterThan(drainMs);
    expect(Number(directive(all["scale-worker.service"]!, "TimeoutStopSec")[0])).to.equal(WORKER_JOB_SECONDS);
    // A longer drain gives a longer stop timeout.
    expect(Number(directive(units({ appDrainMs: 60_000 })["scale-app.service"]!, "TimeoutStopSec")[0])).to.be.greaterThan(60);
  });

  it("start scripts exec the shipped node on their compiled entry using shell builtins only", () => {
    for (const name of Object.keys(ENTRIES) as (keyof typeof ENTRIES)[]) {
      const script = startScript(name);
      expect(script).to.match(/^#!\/bin\/sh\n/);
      expect(script).to.contain(`exec "$release/node/bin/node" "$release/dist/${ENTRIES[name]}" "$@"`);
      expect(script).not.to.match(/\$\((dirname|readlink|realpath)/);
    }
  });
});
