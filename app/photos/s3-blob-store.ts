/** The object store on S3 (or an S3-protocol server at S3_ENDPOINT): one bucket, streamed in and out. */
import { Readable } from "node:stream";
import {
  S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand, NoSuchKey,
} from "@aws-sdk/client-s3";
import type { BlobStore } from "./ports.ts";

export function createS3Client(opts: { region?: string; endpoint?: string }): S3Client {
  // An S3-protocol server on 127.0.0.1 has no per-bucket host names: path-style URLs there.
  return new S3Client({ region: opts.region, endpoint: opts.endpoint, forcePathStyle: opts.endpoint !== undefined });
}

const isMissing = (err: unknown) =>
  err instanceof NoSuchKey || (err as { name?: string }).name === "NoSuchKey" || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

export function createS3BlobStore(s3: S3Client, bucket: string): BlobStore {
  async function open(key: string) {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: out.Body as Readable, contentType: out.ContentType ?? "application/octet-stream", contentLength: Number(out.ContentLength ?? 0) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }
  return Object.freeze({
    async putStream(key: string, body: Readable, opts: { contentType: string; contentLength: number }) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: opts.contentType, ContentLength: opts.contentLength }));
    },
    async put(key: string, body: Buffer, opts: { contentType: string }) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: opts.contentType }));
    },
    async get(key: string) {
      const o = await open(key);
      if (!o) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of o.body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    open,
    async delete(key: string) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  });
}
