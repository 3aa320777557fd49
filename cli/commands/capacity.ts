import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import {
  computeCapacity,
  parseQuantity,
  renderCapacity,
  SEED_INPUTS,
  type CapacityInputs,
  type CapacityReport,
} from "../lib/capacity.ts";

const FLAG_TO_FIELD = {
  users: "users",
  "writes-per-month": "writesPerMonth",
  "read-write-ratio": "readWriteRatio",
  "bytes-per-write": "bytesPerWrite",
  years: "years",
  "peak-factor": "peakFactor",
} as const satisfies Record<string, keyof CapacityInputs>;

export default class Capacity extends BaseCommand {
  static override description =
    "Back-of-the-envelope capacity: request rates, storage, the stage to run and a sizing, with assumptions stated.";
  static override examples = [
    "<%= config.bin %> capacity",
    "<%= config.bin %> capacity --users 200k --writes-per-month 20M --json",
    "<%= config.bin %> capacity --read-write-ratio 50 --bytes-per-write 2KB --peak-factor 5",
  ];
  // Strings, parsed by parseQuantity, so "10M" and "1e9" work and a bad value names its range.
  static override flags = {
    users: Flags.string({ description: "monthly active users", default: "10M" }),
    "writes-per-month": Flags.string({ description: "writes a month (default: 100 per user)" }),
    "read-write-ratio": Flags.string({ description: "reads per write", default: "100" }),
    "bytes-per-write": Flags.string({ description: "bytes of new content per write (decimal: 1KB = 1000)", default: "1KB" }),
    years: Flags.string({ description: "how far ahead to size storage", default: "3" }),
    "peak-factor": Flags.string({ description: "peak rate over the average rate", default: "3" }),
  };

  async run(): Promise<CapacityReport> {
    const { flags } = await this.parse(Capacity);
    const inputs: CapacityInputs = { ...SEED_INPUTS };
    for (const [flag, field] of Object.entries(FLAG_TO_FIELD)) {
      const raw = flags[flag as keyof typeof FLAG_TO_FIELD];
      if (raw === undefined) continue;
      const parsed = parseQuantity(field, raw);
      if (typeof parsed === "string") this.usageError(`--${flag}: ${parsed}`);
      inputs[field] = parsed;
    }
    if (flags["writes-per-month"] === undefined) inputs.writesPerMonth = inputs.users * 100;
    const report = computeCapacity(inputs);
    if (!this.jsonEnabled()) for (const line of renderCapacity(report)) this.log(line);
    return report;
  }
}
