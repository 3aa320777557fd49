/** The archive ledger (migration 0005_archive_months): one row per month moved, or being moved, to the archive. */
export interface ArchiveMonthTable {
  /** `YYYY-MM` (UTC), by the time in the item's UUIDv7 id. */
  month: string;
  /** written: the files and manifest are in the archive; done: verified and the rows deleted. */
  state: string;
  item_count: number;
  /** Rows left in the database because they changed after they were written (their archived copy is older). */
  kept_count: number;
  manifest_key: string;
  manifest_sha256: string;
  /** A run holds the month until then (two workers never move one month at once). */
  lease_until: number;
  lease_owner: string;
  updated_at: number;
}
