/** The ports the photo feature, its worker and the archive job depend on; adapters are chosen in app/wiring.ts. */
import type { Readable } from "node:stream";

export const PHOTO_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];
export type PhotoStatus = "pending" | "ready" | "failed";

export interface Photo {
  id: string;
  ownerId: string;
  status: PhotoStatus;
  contentType: PhotoType;
  bytes: number;
  /** sha256 of the original: with the id, what makes a job idempotent. */
  sha256: string;
  width: number | null;
  height: number | null;
  thumbnail: { width: number; height: number; key: string } | null;
  error: string | null;
  createdAt: number;
}

/** An object store: S3 (a bucket) or a folder on the embedded default. Keys are `/`-separated paths. */
export interface BlobStore {
  /** Store a stream of exactly `contentLength` bytes (S3 needs the length up front to stream without buffering). */
  putStream(key: string, body: Readable, opts: { contentType: string; contentLength: number }): Promise<void>;
  put(key: string, body: Buffer, opts: { contentType: string }): Promise<void>;
  /** null when there is no such object. */
  get(key: string): Promise<Buffer | null>;
  /** A stream of the object, or null when there is no such object. */
  open(key: string): Promise<{ body: Readable; contentType: string; contentLength: number } | null>;
  delete(key: string): Promise<void>;
}

/** What a job message carries: the photo and the hash of the original it was accepted with. */
export interface PhotoJob {
  photoId: string;
  sha256: string;
}

export interface ReceivedJob {
  job: PhotoJob;
  /** Opaque: the receipt handle to extend, retry or delete this delivery. */
  handle: string;
  /** 1 on the first delivery. */
  receiveCount: number;
}

/** A job queue with visibility timeouts and a dead-letter queue: SQS, or in-process on the embedded default. */
export interface JobQueue {
  send(jobs: PhotoJob[]): Promise<void>;
  /** Long-poll for up to `max` jobs; resolves [] after `waitSeconds` or when `signal` aborts. */
  receive(opts: { max: number; waitSeconds: number; signal?: AbortSignal }): Promise<ReceivedJob[]>;
  /** Keep a delivery invisible to other workers for `seconds` more (long jobs). */
  extend(handle: string, seconds: number): Promise<void>;
  /** The job is done: remove it. */
  delete(handle: string): Promise<void>;
  /** Give the delivery back, visible again after `seconds` (a retry; past the last one it goes to the DLQ). */
  release(handle: string, seconds: number): Promise<void>;
  /** The queue's own settings: visibility timeout, and deliveries before the DLQ (null: no DLQ). */
  settings(): Promise<{ visibilitySeconds: number; maxReceives: number | null }>;
}

export interface OutboxRow {
  id: string;
  job: PhotoJob;
}

/** The outbox: jobs committed with their photo, waiting to be sent to the queue. */
export interface Outbox {
  /** Lease up to `limit` rows for `leaseMs`, so concurrent relays send different rows. */
  claim(limit: number, leaseMs: number): Promise<OutboxRow[]>;
  remove(ids: string[]): Promise<void>;
  /** Rows waiting (for /metrics and tests). */
  pending(): Promise<number>;
}

export interface NewPhoto {
  id: string;
  ownerId: string;
  contentType: PhotoType;
  bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
}

export interface PhotoStore {
  /** The photo row and its outbox row, in one transaction. */
  create(photo: NewPhoto): Promise<Photo>;
  findById(id: string): Promise<Photo | null>;
  /** Uploads this owner started since `sinceMs` (the per-user upload rate). */
  countSince(ownerId: string, sinceMs: number): Promise<number>;
  /** Only a photo still holding `sha256` that is not ready yet is changed; false otherwise (a repeated job). */
  markReady(id: string, sha256: string, done: { width: number; height: number; thumbnail: { width: number; height: number; key: string } }): Promise<boolean>;
  markFailed(id: string, sha256: string, reason: string): Promise<boolean>;
  /** Pending photos with no outbox row (the in-process queue's jobs after a restart). */
  pendingWithoutOutbox(limit: number): Promise<PhotoJob[]>;
}
