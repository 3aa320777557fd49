/**
 * Headless Chromium (Debian's `chromium`) for tests that must see a page as a person would: a
 * screenshot, decoded with sharp, so a test can tell a drawn chart from an empty page.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import sharp from "sharp";

const run = promisify(execFile);

export function chromiumBinary(): string {
  for (const bin of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(bin)) return bin;
  throw new Error("chromium is not installed: `apt-get install -y chromium` (.ci/services.sh installs it)");
}

/** Screenshot an HTML file into `dir`/shot.png at width x height; returns the PNG's path. */
export async function screenshot(htmlFile: string, dir: string, width = 1000, height = 1400): Promise<string> {
  const out = join(dir, "shot.png");
  await run(
    chromiumBinary(),
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--hide-scrollbars",
      `--user-data-dir=${join(dir, "profile")}`,
      `--window-size=${width},${height}`,
      `--screenshot=${out}`,
      pathToFileURL(htmlFile).href,
    ],
    { timeout: 60_000 },
  );
  return out;
}

export interface PixelCount {
  /** Pixels that are not near-white. */
  inked: number;
  /** Pixels close to the given colour. */
  matching: number;
  total: number;
}

/** Count inked pixels in a region, and those within `tolerance` of `colour` ("#rrggbb"). */
export async function countPixels(png: string, region: { left: number; top: number; width: number; height: number }, colour: string, tolerance = 40): Promise<PixelCount> {
  const { data, info } = await sharp(png).extract(region).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const want = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  let inked = 0;
  let matching = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (r < 235 || g < 235 || b < 235) inked++;
    if (Math.abs(r - want[0]!) + Math.abs(g - want[1]!) + Math.abs(b - want[2]!) <= tolerance) matching++;
  }
  return { inked, matching, total: info.width * info.height };
}
