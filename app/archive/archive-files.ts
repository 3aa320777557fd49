/**
 * The archive's file layout, one folder per month: `items/month=YYYY-MM/part-NNNNN.jsonl.gz` (gzip'd JSON lines, one
 * row per line, the table's own columns, in id order) and `manifest.json` written last, naming every part with its
 * row count and sha256. Hive-style `month=` folders let a warehouse (Athena, Spark) read them as a partition.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { ItemTable } from "../db/schema.ts";

export interface ManifestPart {
  key: string;
  items: number;
  bytes: number;
  sha256: string;
  firstId: string;
  lastId: string;
}

export interface Manifest {
  table: "items";
  month: string;
  format: "jsonl.gz";
  items: number;
  parts: ManifestPart[];
  createdAt: string;
}

export const monthFolder = (month: string) => `items/month=${month}/`;
export const manifestKey = (month: string) => `${monthFolder(month)}manifest.json`;
export const partKey = (month: string, n: number) => `${monthFolder(month)}part-${String(n).padStart(5, "0")}.jsonl.gz`;

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export function encodePart(month: string, n: number, rows: ItemTable[]): { data: Buffer; part: ManifestPart } {
  const data = gzipSync(rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return { data, part: { key: partKey(month, n), items: rows.length, bytes: data.length, sha256: sha256(data), firstId: rows[0]!.id, lastId: rows.at(-1)!.id } };
}

export class ArchiveCorrupt extends Error {
  override name = "ArchiveCorrupt";
}

/** Check a part read back from the archive against its manifest entry and return its rows. */
export function decodePart(data: Buffer, part: ManifestPart, range: { lowId: string; highId: string }): ItemTable[] {
  if (data.length !== part.bytes || sha256(data) !== part.sha256) throw new ArchiveCorrupt(`${part.key}: checksum does not match the manifest`);
  const rows = gunzipSync(data).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as ItemTable);
  if (rows.length !== part.items) throw new ArchiveCorrupt(`${part.key}: ${rows.length} rows, the manifest says ${part.items}`);
  let previous = "";
  for (const r of rows) {
    if (!(r.id > previous) || r.id < range.lowId || r.id >= range.highId) throw new ArchiveCorrupt(`${part.key}: row ${r.id} is out of order or outside the month`);
    previous = r.id;
  }
  if (rows[0]?.id !== part.firstId || rows.at(-1)?.id !== part.lastId) throw new ArchiveCorrupt(`${part.key}: first or last id differs from the manifest`);
  return rows;
}
