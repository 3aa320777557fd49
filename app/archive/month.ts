/** Months as the archive names them: `YYYY-MM` in UTC, taken from the time in a UUIDv7 id. */
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Milliseconds since the epoch a UUIDv7 was made at, or null for another kind of id. */
export function idTime(id: string): number | null {
  return UUIDV7.test(id) ? parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : null;
}

export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function monthStart(month: string): number {
  return Date.parse(`${month}-01T00:00:00.000Z`);
}

export function nextMonth(month: string): string {
  const d = new Date(monthStart(month));
  d.setUTCMonth(d.getUTCMonth() + 1);
  return monthOf(d.getTime());
}

/** The smallest UUIDv7 string made at or after `ms`: with ids in byte order, [lower(start), lower(end)) is a month. */
export function lowestIdAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

export const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
