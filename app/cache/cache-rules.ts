/**
 * The versioned-set rule both cache adapters follow, and the TTL jitter. An entry is an item at version n
 * ("V<n>|<json>"), a marker ("T<n>") meaning "nothing below version n may be stored", or "N": the database had no
 * such row a moment ago (a short-lived negative entry; it counts as version 0, so any item replaces it).
 */
import { ABSENT, type CachedItem, type Item } from "../ports.ts";

/** Marker version for a deleted item: refuses every set until it expires (ids are never reused). */
export const DELETED = Number.MAX_SAFE_INTEGER;

export function encodeItem(item: Item, json = JSON.stringify(item)): string {
  return `V${item.version}|${json}`;
}

export const ABSENT_ENTRY = "N";
const DELETED_MARKER = `T${DELETED}`;

/**
 * The item an entry holds (its JSON left unparsed); ABSENT for a negative entry or a delete marker (ids are never
 * reused, so a deleted id stays absent); null for an invalidation marker or anything unrecognised.
 */
export function decodeItem(raw: string | undefined | null): CachedItem | typeof ABSENT | null {
  if (!raw) return null;
  if (raw === ABSENT_ENTRY || raw === DELETED_MARKER) return ABSENT;
  if (!raw.startsWith("V")) return null;
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
