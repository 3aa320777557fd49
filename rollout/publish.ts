/**
 * Publishing a release to the stack's artifact bucket under a content-addressed key: the same archive always lands
 * at the same key, so a second deploy (or a rollback) of it uploads nothing, and a key never holds two contents.
 */
import { createReadStream } from "node:fs";
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DeployError, type ReleaseArchive } from "./report.ts";

/** `releases/<sha256>/scale-app-<version>.tar.gz`: the stack config wants the archive's own name at the end. */
export function releaseKey(archive: Pick<ReleaseArchive, "version" | "sha256">): string {
  return `releases/${archive.sha256}/scale-app-${archive.version}.tar.gz`;
}

/** Uploads the archive unless the key already holds it; returns its s3:// URL and whether it was uploaded. */
export async function publishRelease(s3: S3Client, bucket: string, archive: ReleaseArchive): Promise<{ artifact: string; uploaded: boolean }> {
  const key = releaseKey(archive);
  const artifact = `s3://${bucket}/${key}`;
  const there = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch((err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
    if (err.name === "NotFound" || err.$metadata?.httpStatusCode === 404) return undefined;
    throw new DeployError(`could not look for ${artifact}: ${(err as Error).message}`, 1);
  });
  if (there) {
    if (there.Metadata?.sha256 === archive.sha256) return { artifact, uploaded: false };
    throw new DeployError(`${artifact} exists without the archive's sha256 in its metadata; remove it and deploy again`, 1);
  }
  if (!archive.file) throw new DeployError(`release ${archive.version} is not in ${bucket} and no archive was given: pass --release FILE`, 1);
  await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: key, Body: createReadStream(archive.file), ContentLength: archive.bytes,
    ContentType: "application/gzip", Metadata: { sha256: archive.sha256, version: archive.version },
  }));
  return { artifact, uploaded: true };
}
