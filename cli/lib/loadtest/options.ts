/**
 * The load test's flags, parsed into one checked object. Each parser returns an error message naming
 * the flag and what to give instead, so the command can exit 2 with it.
 */
import { isIP } from "node:net";

/** A load test is bounded: someone's service takes the load, and it must end. */
export const MAX_DURATION_MS = 10 * 60_000;
export const MAX_CONNECTIONS = 1_000;
export const MAX_ITEMS = 1_000_000;
export const MAX_RATE = 1_000_000;

export interface Ramp {
  from: number;
  to: number;
  ms: number;
}

/** "30s", "2m", "1m30s", "500ms" or a bare number of seconds. */
export function parseDuration(flag: string, raw: string): number | string {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) return `--${flag}: "${raw}" is not a duration; give one such as 30s, 2m or 1m30s`;
  return Math.round(total);
}

export function parseBoundedDuration(flag: string, raw: string): number | string {
  const ms = parseDuration(flag, raw);
  if (typeof ms === "string") return ms;
  if (ms < 1000) return `--${flag}: ${raw} is too short; give at least 1s`;
  if (ms > MAX_DURATION_MS) return `--${flag}: ${raw} is over the ${MAX_DURATION_MS / 60_000}m cap; run several shorter tests instead`;
  return ms;
}

/** "1000..20000/60s": from 1,000 to 20,000 requests a second over 60 s. */
export function parseRamp(raw: string): Ramp | string {
  const m = /^\s*(\d+)\s*\.\.\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(raw);
  if (!m) return `--ramp: "${raw}" is not a ramp; give FROM..TO/DURATION in requests a second, e.g. 1000..20000/60s`;
  const from = Number(m[1]);
  const to = Number(m[2]);
  const ms = parseBoundedDuration("ramp", m[3]!);
  if (typeof ms === "string") return ms;
  if (from < 1 || to < 1 || from > MAX_RATE || to > MAX_RATE) return `--ramp: rates must be between 1 and ${MAX_RATE.toLocaleString("en-US")} requests a second`;
  return { from, to, ms };
}

export function parseIntFlag(flag: string, raw: number, min: number, max: number): number | string {
  if (!Number.isInteger(raw) || raw < min || raw > max)
    return `--${flag}: ${raw} is out of range; give a whole number between ${min.toLocaleString("en-US")} and ${max.toLocaleString("en-US")}`;
  return raw;
}

export function parseNumberFlag(flag: string, raw: string, min: number, max: number): number | string {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max) return `--${flag}: "${raw}" is out of range; give a number between ${min} and ${max}`;
  return v;
}

/** The service's base URL, or a message saying what is wrong with it. */
export function parseServiceUrl(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `--url: "${raw}" is not a URL; give the service's base URL, e.g. http://127.0.0.1:8080`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `--url: ${url.protocol} is not supported; give an http:// or https:// URL`;
  if (url.search || url.hash) return `--url: give the service's base URL without a query or fragment`;
  return url;
}

/** True for this machine's own addresses: anything else may be someone's production, so it needs --yes. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || /^::ffff:127\./.test(host);
  return false;
}
