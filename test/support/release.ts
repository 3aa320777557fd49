/**
 * The checkout's release for tests: built once (cached under .scale/, so CI pays for it once and later runs reuse
 * it), unpacked into a fresh temporary folder, and its start scripts run as real processes.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { buildRelease, unpackRelease, type BuiltRelease } from "../../release/build.ts";
import { tempDir } from "./tmp.ts";

let built: Promise<BuiltRelease> | undefined;

/** The release of this checkout (built the first time, else the cached archive). */
export function checkoutRelease(): Promise<BuiltRelease> {
  built ??= buildRelease({ root: process.cwd(), log: (line) => process.stderr.write(`      release: ${line}\n`) });
  return built;
}

/** The checkout's release unpacked in a new empty folder. */
export async function unpackedRelease(): Promise<{ release: BuiltRelease; dir: string }> {
  const release = await checkoutRelease();
  return { release, dir: await unpackRelease(release.file, join(tempDir("scale-release"), "app")) };
}

/**
 * `<dir>/bin/<script>` as a child process with only `env` (and a PATH without any Node.js), so nothing but the
 * release's own runtime can run it. `listening` resolves the URL the service prints.
 */
export function startReleased(dir: string, script: string, env: Record<string, string>, args: string[] = []) {
  const proc = spawn(join(dir, "bin", script), args, { env: { PATH: "/nonexistent", LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${out}`)), 60_000);
    proc.stdout!.on("data", () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited early:\n${out}`));
    });
  });
  listening.catch(() => undefined);
  return {
    proc, listening, exited, output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}
