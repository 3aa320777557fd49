/**
 * MariaDB GTID positions ("domain-server-seq" per replication domain, comma-separated), as a
 * session carries them for read-your-writes. Within one domain sequence numbers only grow, so a
 * position covers another when, for every domain of the other, its sequence number is at least as high.
 */

const GTID = /^(\d+)-(\d+)-(\d+)$/;

interface Gtid {
  server: string;
  seq: bigint;
}

/** Parse a position; throws naming the bad part. The empty string is the empty position. */
export function parseGtidPosition(position: string): Map<string, Gtid> {
  const domains = new Map<string, Gtid>();
  for (const part of position.split(",")) {
    const text = part.trim();
    if (text === "") continue;
    const match = GTID.exec(text);
    if (!match) throw new Error(`not a MariaDB GTID: "${text}" (expected domain-server-sequence, e.g. 0-1-42)`);
    const [, domain = "", server = "", seq = "0"] = match;
    const gtid = { server, seq: BigInt(seq) };
    const known = domains.get(domain);
    if (!known || known.seq < gtid.seq) domains.set(domain, gtid);
  }
  return domains;
}

function format(domains: Map<string, Gtid>): string {
  return [...domains.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([domain, g]) => `${domain}-${g.server}-${g.seq}`)
    .join(",");
}

/** The newest of two positions, per domain: what a session carries after another write. */
export function mergeGtidPositions(a: string | undefined, b: string | undefined): string {
  const merged = parseGtidPosition(a ?? "");
  for (const [domain, gtid] of parseGtidPosition(b ?? "")) {
    const known = merged.get(domain);
    if (!known || known.seq < gtid.seq) merged.set(domain, gtid);
  }
  return format(merged);
}

/** True when a server at position `applied` has applied everything up to `wanted`. */
export function gtidCovers(applied: string, wanted: string): boolean {
  const have = parseGtidPosition(applied);
  for (const [domain, gtid] of parseGtidPosition(wanted)) {
    const mine = have.get(domain);
    if (!mine || mine.seq < gtid.seq) return false;
  }
  return true;
}

/** A well-formed position, or undefined for anything else (a session value from elsewhere is not trusted). */
export function validGtidPosition(position: unknown): string | undefined {
  if (typeof position !== "string" || position.length > 1000) return undefined;
  try {
    const parsed = parseGtidPosition(position);
    return parsed.size > 0 ? format(parsed) : undefined;
  } catch {
    return undefined;
  }
}
