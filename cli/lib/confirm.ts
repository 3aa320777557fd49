/**
 * Confirmation for destructive commands. With --yes, go ahead; with no terminal to ask, refuse
 * (the caller exits 3); otherwise show what is about to happen and ask on stderr, so stdout stays
 * clean for --json. Ctrl-C at the question is a clean "cancelled", not an AbortError.
 */
import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";

export type Confirmation = "yes" | "no" | "no-tty" | "cancelled";

export interface ConfirmOptions {
  yes: boolean;
  interactive?: boolean;
  /** Lines shown before the question: the target, the parameters, what will change. */
  details?: readonly string[];
  /** Tests pass their own streams; a terminal is stdin/stderr. */
  input?: Readable;
  output?: Writable;
}

export function canAsk(opts: Pick<ConfirmOptions, "interactive">): boolean {
  return opts.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function confirm(question: string, opts: ConfirmOptions): Promise<Confirmation> {
  if (opts.yes) return "yes";
  if (!canAsk(opts)) return "no-tty";
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stderr;
  for (const line of opts.details ?? []) output.write(`${line}\n`);
  const rl = createInterface({ input, output, terminal: true });
  const ac = new AbortController();
  rl.once("SIGINT", () => ac.abort());
  rl.once("close", () => ac.abort());
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: ac.signal });
    return /^y(es)?$/i.test(answer.trim()) ? "yes" : "no";
  } catch (err) {
    // Ctrl-C (our SIGINT handler) or a closed input (Ctrl-D): the operator walked away from the question.
    if ((err as Error).name === "AbortError" || ac.signal.aborted) return "cancelled";
    throw err;
  } finally {
    output.write("\n");
    rl.close();
  }
}
