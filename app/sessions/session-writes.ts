/** What a session remembers of its own writes, the same in both session stores. */
import type { Session, SessionWrite } from "../ports.ts";
import { mergeGtidPositions, validGtidPosition } from "../db/gtid.ts";

/** How many of its newest writes a session keeps per-item floors for (older ones still have the GTID). */
export const RECENT_WRITES_KEPT = 32;

/**
 * The session after one more write. The GTID is merged, not overwritten: two writes of one session can finish out of
 * order, and the older must not replace the newer; likewise an item's floor only rises.
 */
export function withWrite(session: Session, write: SessionWrite): Session {
  const recent = { ...session.recentWrites };
  const floor = Math.max(recent[write.itemId] ?? 0, write.version);
  delete recent[write.itemId]; // re-inserted last: key order is recency (item ids are UUIDs, never integer-like keys)
  recent[write.itemId] = floor;
  const ids = Object.keys(recent);
  for (let i = 0; i < ids.length - RECENT_WRITES_KEPT; i++) delete recent[ids[i]!];
  const gtid = write.gtid ? mergeGtidPositions(validGtidPosition(session.lastWriteGtid), write.gtid) : session.lastWriteGtid;
  return { ...session, lastWriteGtid: gtid, recentWrites: recent };
}
