/** The photo tables as kysely sees them (migration 0004_photos_outbox). */
export interface PhotoTable {
  id: string;
  owner_id: string;
  status: string;
  content_type: string;
  bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  thumb_key: string | null;
  thumb_width: number | null;
  thumb_height: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** A job committed with its photo and not yet sent to the queue; a relay leases rows by `lease_until`. */
export interface PhotoOutboxTable {
  id: string;
  photo_id: string;
  sha256: string;
  created_at: number;
  lease_until: number;
}
