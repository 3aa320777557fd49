/**
 * The stage-0/1 box runs one server and no load balancer, so a release reaches it in place: a shell script run
 * through SSM Run Command downloads the archive, checks its sha256, unpacks it beside the others, points the
 * `current` symlink at it and restarts the service (systemd's stop is SIGTERM: the service stops accepting and finishes
 * its requests within its drain deadline). It then asks /readyz; a release that does not become ready is swapped back.
 */
import { APP_PORT, HEALTH_CHECK_PATH, SERVER_PATHS } from "../runtime/servers.ts";
import type { Release } from "../stacks/user-data.ts";

/** The systemd unit the release ships (deploy/scale-app.service). */
export const APP_UNIT = "scale-app";

export interface SwapArgs {
  release: Release;
  region: string;
  /** How long the new release has to answer /readyz. */
  readySeconds: number;
  /** Where releases live on the server. @default SERVER_PATHS */
  paths?: { releases: string; current: string };
}

/** The script, for AWS-RunShellScript; exits 0 on the new release, 1 when it went back to the old one. */
export function boxSwapScript({ release, region, readySeconds, paths = SERVER_PATHS }: SwapArgs): string {
  const archive = `/var/tmp/scale-app-${release.version}.tar.gz`;
  const dir = `${paths.releases}/${release.version}`;
  const ready = `curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:${APP_PORT}${HEALTH_CHECK_PATH}`;
  const tries = Math.max(1, Math.ceil(readySeconds / 2));
  return [
    "set -euo pipefail",
    `previous=$(readlink -f ${paths.current})`,
    `aws s3 cp --region ${quote(region)} --only-show-errors ${quote(`s3://${release.bucket}/${release.key}`)} ${archive}`,
    `echo ${quote(`${release.sha256}  ${archive}`)} | sha256sum --check --strict --quiet -`,
    `rm -rf ${dir}.new && install -d -m 0755 ${dir}.new && tar -xzf ${archive} -C ${dir}.new && rm -f ${archive}`,
    `rm -rf ${dir} && mv ${dir}.new ${dir}`,
    `ln -sfn ${dir} ${paths.current}`,
    `systemctl restart ${APP_UNIT}`,
    `for _ in $(seq 1 ${tries}); do if ${ready}; then echo "ready on ${release.version}"; exit 0; fi; sleep 2; done`,
    `echo "release ${release.version} did not answer ${HEALTH_CHECK_PATH} in ${readySeconds} s; back to $previous" >&2`,
    `ln -sfn "$previous" ${paths.current}`,
    `systemctl restart ${APP_UNIT}`,
    "exit 1",
    "",
  ].join("\n");
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
