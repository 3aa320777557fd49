/**
 * The versioned-set rule both cache adapters follow, and the TTL jitter. An entry is either an item at version n
 * ("V<n>|<json>") or a marker ("T<n>") meaning "nothing below version n may be stored".
 */
import type { CachedItem, Item } from "../ports.ts";

/** Marker version for a deleted item: refuses every set until it expires (ids are never reused). */
export const DELETED = Number.MAX_SAFE_INTEGER;

export function encodeItem(item: Item): string {
  return `V${item.version}|${JSON.stringify(item)}`;
}

/** The item an entry holds (its JSON left unparsed), or null for a marker or anything unrecognised. */
export function decodeItem(raw: string | undefined | null): CachedItem | null {
  if (!raw || !raw.startsWith("V")) return null;
  const bar = raw.indexOf("|");
  return bar > 1 ? { version: Number(raw.slice(1, bar)), json: raw.slice(bar + 1) } : null;
}

/** May an item at `version` replace what the cache holds? (Mirrored in the Redis Lua scripts.) */
export function maySet(current: string | undefined | null, version: number): boolean {
  if (!current) return true;
  const n = Number(/^[VT](\d+)/.exec(current)?.[1] ?? "0");
  return current.startsWith("V") ? version > n : version >= n;
}

/** May a marker for `minVersion` replace what the cache holds? Not if the cache already has that version or later. */
export function mayMark(current: string | undefined | null, minVersion: number): boolean {
  if (!current) return true;
  const n = Number(/^[VT](\d+)/.exec(current)?.[1] ?? "0");
  return minVersion > n;
}

/** TTL with ±10% jitter so entries filled together do not expire together. */
export function jitteredTtlMs(ttlSeconds: number): number {
  return Math.round(ttlSeconds * 1000 * (0.9 + Math.random() * 0.2));
}
