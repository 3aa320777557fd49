/**
 * An unknown command is a usage mistake (exit 2), said in the form the operator typed
 * ("stgae list", not "stgae:list"), with the closest real command. Under --json the error is the
 * one JSON document on stdout. On a terminal without --json, @oclif/plugin-not-found asks
 * "did you mean ...?" and runs the suggestion when the operator says yes.
 */
import { toConfiguredId, type Hook } from "@oclif/core";
import { ExitCode } from "../lib/exit-codes.ts";
import { closestWord } from "../lib/closest.ts";

const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const asked = toConfiguredId(opts.id, opts.config);
  const json = (opts.argv ?? []).includes("--json");
  if (!json && process.stdin.isTTY && process.stderr.isTTY) {
    const { default: notFound } = await import("@oclif/plugin-not-found");
    return notFound.call(this, opts);
  }
  const best = closestWord(opts.id, ids);
  const suggestion = best ? toConfiguredId(best, opts.config) : undefined;
  const message = `"${asked}" is not a ${opts.config.bin} command${suggestion ? `; did you mean "${suggestion}"?` : ""}`;
  const suggestions = [`${opts.config.bin} help`, ...(suggestion ? [`${opts.config.bin} ${suggestion}`] : [])];
  if (json) {
    process.stdout.write(JSON.stringify({ error: { message, code: "USAGE", exit: ExitCode.Usage, suggestions } }, null, 2) + "\n");
    this.exit(ExitCode.Usage);
  }
  this.error(`${message}\nRun \`${opts.config.bin} help\` for the list of commands.`, { exit: ExitCode.Usage, code: "USAGE" });
};

export default hook;
