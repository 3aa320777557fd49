/** `app/worker/main.ts` as a real child process: resolves once it has started; `jobs()` are its "photo job done" lines. */
import { spawn } from "node:child_process";

export function startWorkerProcess(env: Record<string, string>) {
  const proc = spawn(process.execPath, ["--import", "tsx", "app/worker/main.ts"], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 30_000);
    proc.stdout!.on("data", () => {
      if (out.includes("scale-worker started")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`worker exited early:\n${out}`)));
  });
  const lines = () =>
    out.split("\n").flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    proc,
    started,
    exited,
    output: () => out,
    jobs: () => lines().filter((l) => l.msg === "photo job done") as Array<{ photoId: string; outcome: string; receiveCount: number }>,
  };
}
