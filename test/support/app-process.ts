/** `app/main.ts` as a real child process: resolves its printed URL; `output()` holds its stdout and stderr. */
import { spawn } from "node:child_process";

export function startMain(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "app/main.ts"], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${out}`)), 60_000); // tsx start-up on a busy box
    proc.stdout!.on("data", () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => reject(new Error(`exited early:\n${out}`)));
  });
  return { proc, listening, exited, output: () => out };
}
