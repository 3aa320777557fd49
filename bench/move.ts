/**
 * `npm run bench:move`: the data move's write freeze for 10,000 and 100,000 items of 1 KB, on throwaway MariaDB
 * servers with the real service taking writes from logged-in writers during the move. The baseline, measured in the
 * same run, is the seed: the time a plain copy takes, which is the freeze a copy-under-freeze move would need.
 * Flags: --items 10000,100000 (comma-separated) --writers 4.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { moveData } from "../moves/data-move.ts";
import { MoveRig } from "../test/support/move-rig.ts";

const { values } = parseArgs({ options: { items: { type: "string", default: "10000,100000" }, writers: { type: "string", default: "4" } }, strict: true });
const sizes = values.items.split(",").map((s) => Number(s.trim()));
const writers = Number(values.writers);
if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(writers) || writers < 1)
  throw new Error(`--items takes positive integers separated by commas, --writers a positive integer (got ${values.items}, ${values.writers})`);

console.log(`bench:move ${new Date().toISOString()} load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${writers} writers`);
console.log("items     seed (copy, baseline) s  write-unavailable s  ratio  acked  refused(503)  broken  lost");
for (const items of sizes) {
  const rig = new MoveRig();
  try {
    await rig.start();
    await rig.fill(items, 1024);
    rig.startLoad(writers);
    await new Promise((r) => setTimeout(r, 2000));
    const result = await moveData({
      source: rig.source.url,
      target: rig.target.url,
      database: "app",
      prepareSwitch: () => rig.prepare(),
      switchServers: () => rig.switchServers(),
      checkServing: () => rig.checkServing(),
    });
    await new Promise((r) => setTimeout(r, 1000));
    const load = await rig.stopLoad();
    const lost = await rig.missing(load.acked);
    const seed = result.steps.find((s) => s.name === "seed")?.seconds ?? NaN;
    const freeze = result.writeUnavailableSeconds;
    console.log(
      `${String(items).padEnd(9)} ${seed.toFixed(2).padStart(22)}  ${freeze.toFixed(2).padStart(19)}  ${(freeze / seed).toFixed(2).padStart(5)}  ${String(load.acked.length).padStart(5)}  ${String(load.refused).padStart(12)}  ${String(load.violations.length).padStart(6)}  ${String(lost.length).padStart(4)}`,
    );
    console.log(`          steps: ${result.steps.map((s) => `${s.name} ${s.seconds}`).join(", ")}`);
  } finally {
    await rig.stop();
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
