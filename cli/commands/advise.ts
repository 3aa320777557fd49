import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import { parseBoundedDuration, parseDuration, parseServiceUrl } from "../lib/loadtest/options.ts";
import type { Advice } from "../lib/advise/rules.ts";

export type AdviceDocument = Omit<Advice, "rule">;

export default class Advise extends BaseCommand {
  static override description =
    "Read a service's metrics (its /metrics and the database's and cache's counters, or CloudWatch for a stack) and name the bottleneck and the next step.";
  static override examples = [
    "<%= config.bin %> advise --url http://127.0.0.1:8080",
    "<%= config.bin %> advise --url http://127.0.0.1:8080 --dir .scale/local --json",
    "<%= config.bin %> advise --url http://10.0.0.5:8080 --database-url mysql://monitor@10.0.0.6 --redis-url redis://10.0.0.7:6379",
    "<%= config.bin %> advise --stack prod --since 24h",
  ];
  static override flags = {
    url: Flags.string({ description: "a service exposing our /metrics (a local stage's endpoint, or any deployment)", exactlyOne: ["url", "stack"] }),
    stack: Flags.string({ description: "a deployed stack: read its CloudWatch metrics", exactlyOne: ["url", "stack"] }),
    since: Flags.string({ description: "for --stack: how far back to read", default: "1h" }),
    window: Flags.string({ description: "for --url: how long to watch the counters (rates need two readings)", default: "10s" }),
    dir: Flags.string({ description: "for --url: a local stage's DIR; its state.json names the app servers, database and cache" }),
    "database-url": Flags.string({ description: "for --url: MariaDB to read SHOW GLOBAL STATUS from" }),
    "redis-url": Flags.string({ description: "for --url: Redis to read INFO from" }),
    region: Flags.string({ description: "for --stack: the AWS region (default: the SDK's)" }),
  };

  async run(): Promise<AdviceDocument> {
    const { flags } = await this.parse(Advise);
    const { advise } = await import("../lib/advise/rules.ts");
    let result: { advice: Advice; notes: string[] };
    if (flags.url) {
      const url = parseServiceUrl(flags.url);
      if (typeof url === "string") this.usageError(url);
      const windowMs = parseBoundedDuration("window", flags.window);
      if (typeof windowMs === "string") this.usageError(windowMs);
      const { gatherUrlEvidence, readLocalState, sourcesFromLocalState, AdviseError } = await import("../lib/advise/url.ts");
      try {
        const local = flags.dir ? sourcesFromLocalState(await readLocalState(flags.dir)) : {};
        const got = await gatherUrlEvidence({
          url,
          windowMs,
          ...local,
          ...(flags["database-url"] ? { databaseUrl: flags["database-url"], databasePid: undefined } : {}),
          ...(flags["redis-url"] ? { redisUrl: flags["redis-url"] } : {}),
          onProgress: (l) => this.progress(l),
        });
        result = { advice: advise(got.evidence, got.stage), notes: got.notes };
      } catch (err) {
        if (err instanceof AdviseError) this.failed(err.message);
        throw err;
      }
    } else {
      const sinceMs = parseDuration("since", flags.since);
      if (typeof sinceMs === "string") this.usageError(sinceMs);
      if (sinceMs < 5 * 60_000 || sinceMs > 15 * 24 * 3_600_000) this.usageError(`--since: ${flags.since} is out of range; give between 5m and 15d (360h)`);
      const { gatherStackEvidence, StackEvidenceError } = await import("../lib/advise/cloudwatch.ts");
      const { CloudWatchClient } = await import("@aws-sdk/client-cloudwatch");
      try {
        const got = await gatherStackEvidence(new CloudWatchClient(flags.region ? { region: flags.region } : {}), flags.stack!, sinceMs, new Date());
        result = { advice: advise(got.evidence, got.stage), notes: got.notes };
      } catch (err) {
        if (err instanceof StackEvidenceError) this.failed(err.message);
        throw err;
      }
    }
    for (const n of result.notes) this.warn(n);
    const { rule: _rule, ...doc } = result.advice;
    if (!this.jsonEnabled()) {
      const { renderAdvice } = await import("../lib/advise/render.ts");
      for (const line of renderAdvice(result.advice)) this.log(line);
    }
    return doc;
  }
}
