import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import { loadConfig } from "../lib/config.ts";
import type { LogLine } from "../lib/logs.ts";

export default class Logs extends BaseCommand {
  static override description =
    "A tier's logs: CloudWatch Logs (/scale/<stack>/<tier>) for a stack, or the processes' own log files of a local stage (--local).";
  static override examples = [
    "<%= config.bin %> logs --tier read --stack prod --since 30m",
    "<%= config.bin %> logs --tier write --follow",
    "<%= config.bin %> logs --tier read --local --dir .scale/local --lines 100",
  ];
  static override flags = {
    tier: Flags.string({ description: "the tier", options: ["box", "read", "write", "worker"], required: true }),
    stack: Flags.string({ description: "the stack [env: SCALE_STACK; default dev]", exclusive: ["local"] }),
    follow: Flags.boolean({ char: "f", description: "keep printing new lines until Ctrl-C" }),
    since: Flags.string({ description: "how far back to start (CloudWatch): 30s, 10m, 2h, 1d", default: "10m" }),
    lines: Flags.integer({ description: "the last N lines of each file (--local)", default: 50, min: 1 }),
    local: Flags.boolean({ description: "a local stage's log files instead of CloudWatch" }),
    dir: Flags.string({ description: "the local stage's folder (with --local) [default: .scale/local]", dependsOn: ["local"] }),
    component: Flags.string({ description: "one local component, e.g. app-read-2 (with --local)", dependsOn: ["local"] }),
    region: Flags.string({ description: "AWS region [env: AWS_REGION; default us-east-1]" }),
  };

  async run(): Promise<{ tier: string; source: string; lines: LogLine[] }> {
    const { flags } = await this.parse(Logs);
    // --json is one document; a stream that never ends cannot be one.
    if (flags.follow && this.jsonEnabled()) this.usageError("--follow streams lines and --json prints one document: use one of them");
    const config = await loadConfig();
    const { localLogFiles, localLogs, cloudWatchLogs, logGroupName, parseDuration } = await import("../lib/logs.ts");
    const tier = flags.tier as "box" | "read" | "write" | "worker";
    const lines: LogLine[] = [];
    const emit = (l: LogLine) => {
      if (this.jsonEnabled()) lines.push(l);
      else this.log(`${l.at ? `${l.at} ` : ""}[${l.source}] ${l.message}`);
    };
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      if (flags.local) {
        const dir = flags.dir ?? ".scale/local";
        const files = localLogFiles(dir, tier, flags.component);
        if (!files.length)
          this.usageError(`no ${flags.component ?? `${tier}-tier`} log files in ${dir}/logs: is a local stage running there (\`scale local status --dir ${dir}\`), and does its stage run the ${tier} tier?`);
        await localLogs(files, { lines: flags.lines, follow: flags.follow, signal: stop.signal, emit });
        return { tier, source: files.join(", "), lines };
      }
      const sinceMs = parseDuration(flags.since);
      if (sinceMs === undefined) this.usageError(`--since ${JSON.stringify(flags.since)} is not a duration: write 30s, 10m, 2h or 1d`);
      const stack = flags.stack ?? config.stack;
      const region = flags.region ?? config.region;
      const { checkRegion, resolveIdentity } = await import("../lib/identity.ts");
      checkRegion(region, flags.region ? "--region" : "AWS_REGION");
      await resolveIdentity({ stack, region, aws: true });
      try {
        await cloudWatchLogs({ stack, tier, region, sinceMs, follow: flags.follow, signal: stop.signal, emit });
      } catch (err) {
        this.failed((err as Error).message);
      }
      return { tier, source: logGroupName(stack, tier), lines };
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
