/**
 * Photos' and stage 5's settings from the environment, as a zod shape app/config.ts spreads into its schema (the
 * environment is still parsed in one place). The runtime contract gives the write and worker tiers the same names.
 */
import { z } from "zod";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === "" ? undefined : v), t.optional());
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name");
const httpUrl = z.string().regex(/^https?:\/\/\S+$/, "must be an http:// or https:// URL");

export const photoEnvShape = {
  /** Originals and thumbnails; unset = the folder DATA_DIR/blobs. */
  UPLOADS_BUCKET: optional(bucketName),
  /** The photo job queue's URL; unset = an in-process queue, and the app process makes the thumbnails itself. */
  QUEUE_URL: optional(httpUrl),
  /** Where the archive job writes old items, month by month; unset = the folder DATA_DIR/archive. */
  ARCHIVE_BUCKET: optional(bucketName),
  /** Items older than this many days move to the archive (worker tier, daily); 0 = the scheduled job is off. */
  ARCHIVE_AFTER_DAYS: int(0, 36_500).default(0),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1").default("us-east-1"),
  /** Local S3/SQS-protocol servers (local stages, tests); unset = AWS's own endpoints. S3 then uses path-style URLs. */
  S3_ENDPOINT: optional(httpUrl),
  SQS_ENDPOINT: optional(httpUrl),
  /** Uploads per user per minute; 0 turns the limit off. */
  PHOTO_UPLOADS_PER_MINUTE: int(0, 100_000).default(30),
  /** Width x height above which an image is refused (from its header at upload, before any decoding in the worker). */
  PHOTO_MAX_PIXELS: int(1, 1_000_000_000).default(50_000_000),
  /** Jobs one worker process runs at once. */
  WORKER_CONCURRENCY: int(1, 64).default(2),
  /** Seconds before a failed job is tried again (times its delivery count). */
  WORKER_RETRY_DELAY_SECONDS: int(0, 900).default(10),
};

export interface PhotoEnv {
  DATA_DIR: string;
  UPLOADS_BUCKET?: string;
  QUEUE_URL?: string;
  ARCHIVE_BUCKET?: string;
  ARCHIVE_AFTER_DAYS: number;
  AWS_REGION: string;
  S3_ENDPOINT?: string;
  SQS_ENDPOINT?: string;
  PHOTO_UPLOADS_PER_MINUTE: number;
  PHOTO_MAX_PIXELS: number;
  WORKER_CONCURRENCY: number;
  WORKER_RETRY_DELAY_SECONDS: number;
}
