/**
 * Confirmation for destructive commands. With --yes, go ahead; with no terminal to ask, refuse
 * (the caller exits 3); otherwise ask on stderr so stdout stays clean for --json.
 */
import { createInterface } from "node:readline/promises";

export type Confirmation = "yes" | "no" | "no-tty";

export async function confirm(
  question: string,
  opts: { yes: boolean; interactive?: boolean },
): Promise<Confirmation> {
  if (opts.yes) return "yes";
  const interactive = opts.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!interactive) return "no-tty";
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim()) ? "yes" : "no";
  } finally {
    rl.close();
  }
}
