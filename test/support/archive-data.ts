/** Items for the archive tests: UUIDv7-shaped ids spread over a given month, inserted straight into MariaDB. */
import type { Pool } from "mysql2/promise";
import type { ItemTable } from "../../app/db/schema.ts";
import { monthStart } from "../../app/archive/month.ts";

/** UUIDv7-shaped ids spread over a month, in order (the archive places an item by the time in its id). */
export function idsIn(month: string, n: number): string[] {
  const start = monthStart(month);
  const span = 27 * 86_400_000;
  return Array.from({ length: n }, (_, i) => {
    const ms = start + Math.floor((i * span) / n);
    const hex = ms.toString(16).padStart(12, "0");
    const tail = i.toString(16).padStart(15, "0");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6).padStart(12, "0")}`;
  });
}

export async function seedItems(pool: Pool, month: string, n: number): Promise<ItemTable[]> {
  const at = monthStart(month) + 3_600_000;
  const rows = idsIn(month, n).map((id, i): ItemTable => ({ id, owner_id: `owner-${i % 97}`, content: `item ${i} of ${month} ✓ ${"x".repeat(i % 200)}`, version: 1 + (i % 3), created_at: at, updated_at: at }));
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await pool.query("INSERT INTO items (id, owner_id, content, version, created_at, updated_at) VALUES ?", [chunk.map((r) => [r.id, r.owner_id, r.content, r.version, r.created_at, r.updated_at])]);
  }
  return rows;
}

