/**
 * Facts about a server that the stacks, the boot program and the local stages share: where things live on a server,
 * the port the service listens on, the engines the data tier runs. Pulumi-free and dependency-free.
 */

/** Where a release and its runtime live on a server (the archive layout of docs/stacks.md). */
export const SERVER_PATHS = Object.freeze({
  /** One folder per release version, unpacked from `scale-app-<version>.tar.gz`. */
  releases: "/opt/scale-app/releases",
  /** A symlink to the release in service. */
  current: "/opt/scale-app/current",
  /** The tier's runtime (no secret values): what the user data writes and the boot program reads. */
  runtime: "/etc/scale-app/runtime.json",
  /** The resolved environment, mode 0600, owned by the service's user. */
  envFile: "/etc/scale-app/env",
  /** Secret files (mode 0400): what `*_FILE` settings point at. */
  secretsDir: "/etc/scale-app/secrets",
  /** Secrets the box generates for itself at first boot, kept across releases. */
  generatedDir: "/var/lib/scale-app/generated",
});

/** The port every app server listens on (behind CloudFront at stages 0-1, behind the ALB from stage 2). */
export const APP_PORT = 8080;

/** What health checks ask: ready means the database (and the cache, when there is one) answer. */
export const HEALTH_CHECK_PATH = "/readyz";
/**
 * How the load balancer judges a server on HEALTH_CHECK_PATH: checks this many seconds apart, this many answers in a
 * row to come into service, this many failures to leave it (the local stages' HAProxy checks on the same thresholds).
 */
export const HEALTH_CHECK = { intervalSeconds: 15, healthyThreshold: 2, unhealthyThreshold: 3 } as const;

/** The application's database and the user the service connects as (created by the migration step). */
export const DATABASE_NAME = "app";
export const APP_DATABASE_USER = "app";
/** RDS's master user: only the migration step uses it. */
export const ADMIN_DATABASE_USER = "app_admin";

/**
 * MariaDB on RDS and on the stage-0 box: the same major, so the 0 -> 1 copy crosses no engine boundary, and the one
 * the tests and the local stages run (10.11 LTS; RDS supports it until 2028-02). The replica router's GTID functions
 * (MASTER_GTID_WAIT, @@gtid_slave_pos, @@last_gtid) are MariaDB's.
 */
export const MARIADB = Object.freeze({
  /** RDS `engineVersion` (the major: RDS applies minor versions itself). */
  engineVersion: "10.11",
  /** The RDS parameter group family that matches it. */
  parameterFamily: "mariadb10.11",
  /** Amazon Linux 2023's server package of the same major (from its own repositories, through the S3 endpoint). */
  al2023Package: "mariadb1011-server",
  /** The box's server socket, for the migration step's admin connection (root over the socket, no password). */
  boxSocket: "/var/lib/mysql/mysql.sock",
  port: 3306,
});

/** ElastiCache Redis, with TLS in transit and an AUTH token. */
export const REDIS = Object.freeze({ engineVersion: "7.1", port: 6379 });
