/**
 * Moves one month of items to the archive: write the month's rows as parts and a manifest, read every part back and
 * check it, and only then delete the rows in small batches (each a short statement on primary keys). Every step can be
 * interrupted and re-run: the ledger (archive_months) and the manifest say how far a month got, a manifest once
 * written is never rewritten, and a done month is a no-op. A row that changed after it was written (its version moved
 * on) is kept in the database and counted, never deleted with an older copy in the archive.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { DbHandle } from "../db/connect.ts";
import type { ItemTable } from "../db/schema.ts";
import { isDuplicateKey } from "../db/errors.ts";
import type { BlobStore } from "../photos/ports.ts";
import type { ArchiveMonthTable } from "./archive.table.ts";
import { decodePart, encodePart, manifestKey, sha256, ArchiveCorrupt, type Manifest } from "./archive-files.ts";
import { idTime, lowestIdAt, monthOf, monthStart, nextMonth } from "./month.ts";

export interface ArchiveDeps {
  db: DbHandle;
  archive: BlobStore;
  logger: Logger;
}

export interface ArchiveOptions {
  /** Rows per delete statement. @default 500 */
  deleteBatch?: number;
  /** Rows per part file. @default 10000 */
  partRows?: number;
  /** How long a run holds a month without renewing. @default 600000 */
  leaseMs?: number;
  owner?: string;
  /** Stop between batches (SIGTERM); a later run picks up where this one stopped. */
  signal?: AbortSignal;
  /** Progress for the operator; throwing from it interrupts the run like a crash would. */
  progress?: (event: { phase: "part-written" | "verified" | "deleted"; month: string; items: number }) => void | Promise<void>;
}

export interface MonthResult {
  month: string;
  outcome: "archived" | "already-archived" | "busy";
  items: number;
  deleted: number;
  kept: number;
  manifestKey: string;
  manifestSha256: string;
}

export class Interrupted extends Error {
  override name = "Interrupted";
}

const PAGE = 1000;

function monthRange(month: string) {
  return { lowId: lowestIdAt(monthStart(month)), highId: lowestIdAt(monthStart(nextMonth(month))) };
}

export async function archiveMonth(deps: ArchiveDeps, month: string, opts: ArchiveOptions = {}): Promise<MonthResult> {
  const { db } = deps.db;
  const owner = opts.owner ?? randomUUID();
  const leaseMs = opts.leaseMs ?? 600_000;
  const range = monthRange(month);
  const log = deps.logger.child({ component: "archive", month });
  const checkpoint = async () => {
    if (opts.signal?.aborted) throw new Interrupted(`archiving ${month} was stopped; run it again to finish`);
    const r = await db.updateTable("archive_months").set({ lease_until: Date.now() + leaseMs, updated_at: Date.now() })
      .where("month", "=", month).where("lease_owner", "=", owner).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new Interrupted(`another run took over ${month}`);
  };

  const claimed = await claim(deps.db, month, owner, leaseMs);
  const result = (ledger: ArchiveMonthTable, outcome: MonthResult["outcome"], deleted = 0): MonthResult => ({
    month, outcome, items: Number(ledger.item_count), deleted, kept: Number(ledger.kept_count), manifestKey: ledger.manifest_key, manifestSha256: ledger.manifest_sha256,
  });
  if (claimed === "busy") return { month, outcome: "busy", items: 0, deleted: 0, kept: 0, manifestKey: "", manifestSha256: "" };
  if (claimed.state === "done") return result(claimed, "already-archived");

  let ledger = claimed;
  if (ledger.state === "writing") {
    // A manifest in the archive means an earlier run wrote the month and may have deleted rows since: never rewrite it.
    const existing = await deps.archive.get(manifestKey(month));
    const manifest = existing ?? (await writeMonth(deps, month, range, opts, checkpoint));
    const manifestBytes = existing ?? manifest;
    const parsed = JSON.parse(manifestBytes.toString("utf8")) as Manifest;
    await db.updateTable("archive_months")
      .set({ state: "written", item_count: parsed.items, manifest_key: manifestKey(month), manifest_sha256: sha256(manifestBytes), updated_at: Date.now() })
      .where("month", "=", month).where("lease_owner", "=", owner).execute();
    ledger = (await db.selectFrom("archive_months").selectAll().where("month", "=", month).executeTakeFirstOrThrow());
    log.info({ items: parsed.items, parts: parsed.parts.length }, "month written to the archive");
  }

  // Read everything back before the first delete; then again part by part while deleting (memory stays one part).
  const manifest = await readManifest(deps.archive, ledger);
  for (const part of manifest.parts) {
    const data = await deps.archive.get(part.key);
    if (!data) throw new ArchiveCorrupt(`${part.key} is missing from the archive`);
    decodePart(data, part, range);
  }
  await opts.progress?.({ phase: "verified", month, items: manifest.items });

  let deleted = 0;
  const batch = opts.deleteBatch ?? 500;
  for (const part of manifest.parts) {
    const rows = decodePart((await deps.archive.get(part.key))!, part, range);
    for (let i = 0; i < rows.length; i += batch) {
      await checkpoint();
      deleted += await deleteUnchanged(deps.db, rows.slice(i, i + batch));
      await opts.progress?.({ phase: "deleted", month, items: deleted });
    }
  }
  const kept = await countInRange(deps.db, range);
  await db.updateTable("archive_months").set({ state: "done", kept_count: kept, lease_until: 0, updated_at: Date.now() })
    .where("month", "=", month).where("lease_owner", "=", owner).execute();
  if (kept > 0) log.warn({ kept }, "rows changed after they were archived stay in the database");
  log.info({ deleted, kept }, "month archived");
  return { ...result(ledger, "archived", deleted), kept };
}

/** Take the month's lease (or find it done); "busy" while another run holds it. */
async function claim(handle: DbHandle, month: string, owner: string, leaseMs: number): Promise<ArchiveMonthTable | "busy"> {
  const { db } = handle;
  const now = Date.now();
  try {
    await db.insertInto("archive_months").values({
      month, state: "writing", item_count: 0, kept_count: 0, manifest_key: "", manifest_sha256: "", lease_until: now + leaseMs, lease_owner: owner, updated_at: now,
    }).execute();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const r = await db.updateTable("archive_months").set({ lease_until: now + leaseMs, lease_owner: owner, updated_at: now })
      .where("month", "=", month).where("state", "!=", "done")
      .where((eb) => eb.or([eb("lease_until", "<", now), eb("lease_owner", "=", owner)]))
      .executeTakeFirst();
    const row = await db.selectFrom("archive_months").selectAll().where("month", "=", month).executeTakeFirstOrThrow();
    if (row.state !== "done" && Number(r.numUpdatedRows) !== 1) return "busy";
    return row;
  }
  return db.selectFrom("archive_months").selectAll().where("month", "=", month).executeTakeFirstOrThrow();
}

/** Write every row of the month as parts, then the manifest; returns the manifest's bytes. */
async function writeMonth(deps: ArchiveDeps, month: string, range: { lowId: string; highId: string }, opts: ArchiveOptions, checkpoint: () => Promise<void>): Promise<Buffer> {
  const partRows = opts.partRows ?? 10_000;
  const parts: Manifest["parts"] = [];
  let pending: ItemTable[] = [];
  let cursor = "";
  let total = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await checkpoint();
    const { data, part } = encodePart(month, parts.length, pending);
    await deps.archive.put(part.key, data, { contentType: "application/gzip" });
    parts.push(part);
    total += pending.length;
    pending = [];
    await opts.progress?.({ phase: "part-written", month, items: total });
  };
  for (;;) {
    const rows = await deps.db.db.selectFrom("items").selectAll()
      .where("id", ">=", range.lowId).where("id", "<", range.highId).where("id", ">", cursor)
      .orderBy("id").limit(PAGE).execute();
    for (const r of rows) {
      pending.push({ ...r, version: Number(r.version), created_at: Number(r.created_at), updated_at: Number(r.updated_at) });
      if (pending.length >= partRows) await flush();
    }
    if (rows.length < PAGE) break;
    cursor = rows.at(-1)!.id;
  }
  await flush();
  const manifest: Manifest = { table: "items", month, format: "jsonl.gz", items: total, parts, createdAt: new Date().toISOString() };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  await deps.archive.put(manifestKey(month), bytes, { contentType: "application/json" });
  return bytes;
}

async function readManifest(archive: BlobStore, ledger: ArchiveMonthTable): Promise<Manifest> {
  const bytes = await archive.get(ledger.manifest_key);
  if (!bytes) throw new ArchiveCorrupt(`${ledger.manifest_key} is missing from the archive`);
  if (sha256(bytes) !== ledger.manifest_sha256) throw new ArchiveCorrupt(`${ledger.manifest_key} changed since it was written`);
  return JSON.parse(bytes.toString("utf8")) as Manifest;
}

/** Delete the rows still at the archived version; a row updated since stays. */
async function deleteUnchanged(handle: DbHandle, rows: ItemTable[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = await handle.db.deleteFrom("items")
    .where((eb) => eb.or(rows.map((row) => eb.and([eb("id", "=", row.id), eb("version", "=", row.version)]))))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

async function countInRange(handle: DbHandle, range: { lowId: string; highId: string }): Promise<number> {
  const r = await handle.db.selectFrom("items").select((eb) => eb.fn.countAll<number>().as("n"))
    .where("id", ">=", range.lowId).where("id", "<", range.highId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Items in the database whose id falls in the month. */
export function countMonth(handle: DbHandle, month: string): Promise<number> {
  return countInRange(handle, monthRange(month));
}

/** Months holding items, every one of whose days is older than `cutoffMs`, and not archived yet; oldest first. */
export async function monthsToArchive(handle: DbHandle, cutoffMs: number): Promise<string[]> {
  const { db } = handle;
  const done = new Set((await db.selectFrom("archive_months").select("month").where("state", "=", "done").execute()).map((r) => r.month));
  const months: string[] = [];
  let cursor = "";
  // Walk month by month from the oldest item: one index probe per month that has items.
  for (;;) {
    const first = await db.selectFrom("items").select("id").where("id", ">", cursor).orderBy("id").limit(1).executeTakeFirst();
    if (!first) break;
    const at = idTime(first.id);
    if (at === null) break; // not a UUIDv7: nothing the archive can place in a month
    const month = monthOf(at);
    if (monthStart(nextMonth(month)) > cutoffMs) break;
    if (!done.has(month)) months.push(month);
    cursor = monthRange(month).highId;
  }
  return months;
}
