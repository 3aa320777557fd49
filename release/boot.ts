/**
 * bin/scale-boot: the release's boot program, run as root by user data once the archive is unpacked:
 *   scale-boot --tier box|read|write|worker --runtime /etc/scale-app/runtime.json [--root DIR]
 * Exit codes: 0 booted, 1 a step failed (the message names it), 2 usage.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { awsBackend } from "../runtime/aws-backend.ts";
import { TIERS, type Tier } from "../runtime/sources.ts";
import { bootServer, serverPaths } from "./server-boot.ts";

const USAGE = "usage: scale-boot --tier box|read|write|worker --runtime FILE [--root DIR]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { tier: { type: "string" }, runtime: { type: "string" }, root: { type: "string", default: "/" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.tier || !TIERS.includes(values.tier as Tier)) {
    console.error(`--tier must be one of ${TIERS.join(", ")}\n${USAGE}`);
    return 2;
  }
  if (!values.runtime) {
    console.error(`--runtime: name the runtime document user data wrote\n${USAGE}`);
    return 2;
  }
  // dist/release/boot.js -> the release folder.
  const releaseDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  try {
    const region = process.env.AWS_REGION;
    const result = await bootServer({
      tier: values.tier as Tier, runtimeFile: values.runtime, releaseDir, root: values.root,
      backend: awsBackend({ region: region ?? (await regionFromRuntime(values.runtime)), generatedDir: serverPaths(values.root).generatedDir }),
      log: (line) => console.log(`scale-boot: ${line}`),
    });
    console.log(`scale-boot: the ${result.tier} tier runs ${result.unit}`);
    return 0;
  } catch (error) {
    console.error(`scale-boot: ${(error as Error).message}`);
    return 1;
  }
}

/** The region the runtime names (AWS_REGION is one of its literal settings). */
async function regionFromRuntime(file: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const { parseTierRuntime } = await import("../runtime/sources.ts");
  const region = parseTierRuntime(await readFile(file, "utf8")).env.AWS_REGION;
  if (typeof region !== "string") throw new Error(`${file} names no AWS_REGION literal`);
  return region;
}

process.exit(await main());
