import { expect } from "chai";
import type { Session } from "../../../app/ports.ts";
import { RECENT_WRITES_KEPT, withWrite } from "../../../app/sessions/session-writes.ts";

const base: Session = { tokenHash: "h", userId: "u", username: "n", expiresAt: 0, lastWriteGtid: null };

describe("a session's record of its writes", () => {
  it("keeps the highest version per item, even when writes finish out of order", () => {
    let s = withWrite(base, { itemId: "a", version: 3, gtid: null });
    s = withWrite(s, { itemId: "a", version: 2, gtid: null });
    expect(s.recentWrites).to.deep.equal({ a: 3 });
  });

  it("keeps only the newest writes, by recency of the last write to each item", () => {
    let s = base;
    for (let i = 0; i < RECENT_WRITES_KEPT + 5; i++) s = withWrite(s, { itemId: `i${i}`, version: 1, gtid: null });
    s = withWrite(s, { itemId: "i6", version: 2, gtid: null }); // rewritten: now the newest
    const ids = Object.keys(s.recentWrites ?? {});
    expect(ids).to.have.length(RECENT_WRITES_KEPT);
    expect(ids).to.not.include("i4");
    expect(ids).to.include("i5");
    expect(ids.at(-1)).to.equal("i6");
  });

  it("merges GTIDs and keeps the last one when a write has none", () => {
    let s = withWrite(base, { itemId: "a", version: 1, gtid: "0-1-5" });
    s = withWrite(s, { itemId: "b", version: 1, gtid: "0-1-4" });
    expect(s.lastWriteGtid).to.equal("0-1-5");
    expect(withWrite(s, { itemId: "c", version: 1, gtid: null }).lastWriteGtid).to.equal("0-1-5");
  });

  it("reads sessions stored before it kept writes", () => {
    const old = { ...base } as Session;
    delete old.recentWrites;
    expect(withWrite(old, { itemId: "a", version: 1, gtid: null }).recentWrites).to.deep.equal({ a: 1 });
  });
});
