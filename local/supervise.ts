/** The supervisor's process: `node --import tsx local/supervise.ts DIR` (started detached by `scale local up`). */
import { runSupervisor } from "./supervisor.ts";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: supervise.ts DIR");
  process.exit(2);
}
await runSupervisor(dir);
