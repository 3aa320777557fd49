/**
 * What a server runs at first boot: prepare the host (the stage-0 box's data volume and MariaDB), write the tier's
 * runtime (no secret values: outputs concrete, secrets as ARNs), fetch the release archive from S3, check its sha256,
 * unpack it and hand over to the release's boot program. Pulumi-free, so tests read it as plain text.
 */
import { MARIADB, SERVER_PATHS } from "../runtime/servers.ts";
import { parseTierRuntime, type TierRuntime } from "../runtime/sources.ts";

/** The release a stack runs (config `release`), with the artifact split into bucket and key. */
export interface Release {
  version: string;
  bucket: string;
  key: string;
  sha256: string;
}

/** The box's data volume: where it is mounted, and whether MariaDB lives there. */
export interface DataVolume {
  /** The EBS volume id: the device is found by it (NVMe names follow no attach order). */
  volumeId: string;
  mount: string;
  runsDatabase: boolean;
}

/** Arguments of bootUserData. */
export interface BootArgs {
  release: Release;
  region: string;
  runtime: TierRuntime;
  /** The box's data volume; absent on the app tiers. */
  dataVolume?: DataVolume;
}

/** Splits `s3://bucket/key`. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`expected s3://bucket/key, got ${url}`);
  return { bucket: match[1]!, key: match[2]! };
}

/** EC2 refuses user data over 16 KB. */
const USER_DATA_LIMIT = 16 * 1024;

/** The user data script; throws when it would exceed EC2's 16 KB. */
export function bootUserData(args: BootArgs): string {
  const script = bootScript(args);
  const bytes = Buffer.byteLength(script);
  if (bytes > USER_DATA_LIMIT) throw new Error(`the ${args.runtime.tier} tier's user data is ${bytes} bytes; EC2 takes at most ${USER_DATA_LIMIT}`);
  return script;
}

/**
 * The release, region and runtime an app tier's user data carries (what bootUserData was given), so a deploy can write
 * the same script for another release. Throws naming what it could not find; the box's user data (with its data
 * volume) is not read back: the box swaps releases in place.
 */
export function readBootArgs(script: string): BootArgs {
  const runtime = /<<'RUNTIME'\n(.*)\nRUNTIME\n/s.exec(script)?.[1];
  const copy = /^aws s3 cp --region '([^']+)' --only-show-errors 's3:\/\/([^/']+)\/([^']+)' \/var\/tmp\/scale-app-([^ ]+)\.tar\.gz$/m.exec(script);
  const sha = /^echo '([0-9a-f]{64}) {2}/m.exec(script)?.[1];
  if (!runtime || !copy || !sha) throw new Error("the user data is not what bootUserData writes: no runtime, release copy or sha256 found");
  if (script.includes("blkid")) throw new Error("the user data mounts a data volume (the box's): it is not rewritten for a release");
  return {
    region: copy[1]!,
    release: { version: copy[4]!, bucket: copy[2]!, key: copy[3]!, sha256: sha },
    runtime: parseTierRuntime(runtime),
  };
}

function bootScript(args: BootArgs): string {
  const { release, runtime } = args;
  const archive = `/var/tmp/scale-app-${release.version}.tar.gz`;
  const dir = `${SERVER_PATHS.releases}/${release.version}`;
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    ...(args.dataVolume ? dataVolumeLines(args.dataVolume) : []),
    `install -d -m 0755 ${dirOf(SERVER_PATHS.runtime)}`,
    `cat > ${SERVER_PATHS.runtime} <<'RUNTIME'`,
    JSON.stringify(runtime),
    "RUNTIME",
    `aws s3 cp --region ${quote(args.region)} --only-show-errors ${quote(`s3://${release.bucket}/${release.key}`)} ${archive}`,
    `echo ${quote(`${release.sha256}  ${archive}`)} | sha256sum --check --strict --quiet -`,
    `install -d -m 0755 ${dir}`,
    `tar -xzf ${archive} -C ${dir}`,
    `rm -f ${archive}`,
    `ln -sfn ${dir} ${SERVER_PATHS.current}`,
    `exec ${SERVER_PATHS.current}/bin/scale-boot --tier ${runtime.tier} --runtime ${SERVER_PATHS.runtime}`,
    "",
  ].join("\n");
}

// The volume is attached after the instance starts: wait for its device, make a filesystem only on a blank one.
function dataVolumeLines(volume: DataVolume): string[] {
  const device = `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volume.volumeId.replace("-", "")}`;
  return [
    `dev=${device}`,
    'for _ in $(seq 1 120); do [ -e "$dev" ] && break; sleep 5; done',
    'blkid "$dev" || mkfs.xfs "$dev"',
    `install -d -m 0755 ${volume.mount}`,
    `grep -q " ${volume.mount} " /etc/fstab || echo "UUID=$(blkid -s UUID -o value "$dev") ${volume.mount} xfs defaults,nofail 0 2" >> /etc/fstab`,
    "mount -a",
    ...(volume.runsDatabase ? [
      // Amazon Linux's own MariaDB of the same major as RDS, from its repositories (S3, through the gateway endpoint).
      `dnf install -y ${MARIADB.al2023Package}`,
      `printf '[mariadb]\\nbind-address=127.0.0.1\\n' > /etc/my.cnf.d/scale-app.cnf`,
      `chown mysql:mysql ${volume.mount}`,
      "systemctl enable --now mariadb",
    ] : []),
  ];
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Single-quotes a word for bash. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
