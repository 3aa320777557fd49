/**
 * The files a release carries besides its code: the start scripts in `bin/` and the systemd units in `deploy/`.
 * Generated here from the server facts (runtime/servers.ts), so the paths in a unit are the paths the boot program
 * writes. The archive's layout (docs/stacks.md, "Release and boot"):
 *
 *   bin/scale-app  bin/scale-worker  bin/scale-migrate  bin/scale-boot     start scripts (sh) on the shipped node
 *   node/bin/node                                                          the Node.js the release runs on
 *   dist/app/...  dist/runtime/...  dist/release/...                       the compiled JavaScript
 *   node_modules/...                                                       production packages the code imports
 *   certs/rds-ca-bundle.pem                                                RDS's CAs (DATABASE_TLS=verify's default)
 *   deploy/scale-app.service  deploy/scale-worker.service                  the systemd units
 *   package.json  release.json                                             ESM marker; version and Node
 */
import { SERVER_PATHS } from "../runtime/servers.ts";

/** The user the services run as (created by the boot program). */
export const SERVICE_USER = "scale";

/** The entry point each start script runs (paths under dist/). */
export const ENTRIES = Object.freeze({
  "scale-app": "app/main.js",
  "scale-worker": "app/worker/main.js",
  "scale-migrate": "app/migrate.js",
  "scale-boot": "release/boot.js",
});

/** A start script: resolves its own release folder (through the `current` symlink) and runs the entry on its node. */
export function startScript(name: keyof typeof ENTRIES): string {
  return [
    "#!/bin/sh",
    `# ${name}: runs dist/${ENTRIES[name]} on the Node.js this release ships (no install step, no TypeScript).`,
    "# The release folder is resolved physically, so a running process keeps its release when `current` moves.",
    "# Shell builtins only: it must run with any PATH.",
    "set -e",
    'case $0 in */*) bin=${0%/*} ;; *) bin=. ;; esac',
    'release=$(cd "$bin/.." && pwd -P)',
    `exec "$release/node/bin/node" "$release/dist/${ENTRIES[name]}" "$@"`,
    "",
  ].join("\n");
}

/** The service's data folder on a server (the embedded default's files; nothing there on the AWS tiers). */
export const STATE_DIR = "/var/lib/scale-app/data";

/** What a unit runs and how long it may take to stop. */
export interface UnitArgs {
  description: string;
  start: keyof typeof ENTRIES;
  /** Seconds systemd waits after SIGTERM before SIGKILL: the process's own drain, plus a margin. */
  stopSeconds: number;
}

/**
 * A hardened unit: its own unprivileged user, a read-only system (`ProtectSystem=strict`) with one writable state
 * folder, no privilege gain, private /tmp and devices, restarted when it dies.
 */
export function unitFile(args: UnitArgs): string {
  return `[Unit]
Description=${args.description}
Wants=network-online.target
After=network-online.target
# Give up restarting after 10 failures in 5 minutes: a broken release should fail its health check, not spin.
StartLimitIntervalSec=300
StartLimitBurst=10

[Service]
Type=simple
User=${SERVICE_USER}
Group=${SERVICE_USER}
# The folder itself is the service's; its parents stay root's (the boot program keeps generated secrets there).
StateDirectory=${STATE_DIR.replace("/var/lib/", "")}
StateDirectoryMode=0700
WorkingDirectory=${STATE_DIR}
Environment=DATA_DIR=${STATE_DIR} NODE_ENV=production
# Written by the boot program (mode 0600, owned by ${SERVICE_USER}); its values override the line above.
EnvironmentFile=${SERVER_PATHS.envFile}
ExecStart=${SERVER_PATHS.current}/bin/${args.start}
Restart=always
RestartSec=2
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${args.stopSeconds}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
UMask=0077
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/** Seconds of margin after a process's own drain: closing pools and flushing logs. */
const STOP_MARGIN_SECONDS = 15;

/**
 * The two units. The service drains for its SHUTDOWN_DEADLINE_MS (app/config.ts's default) then closes its pools;
 * the worker takes no new job and lets the jobs in hand finish, which may take a slow decode up to
 * `WORKER_JOB_SECONDS` (after that systemd kills it and SQS hands the job to another worker once its visibility
 * times out: the job is idempotent).
 */
export function units(opts: { appDrainMs: number }): Record<string, string> {
  return {
    "scale-app.service": unitFile({ description: "scale-app: the HTTP service", start: "scale-app", stopSeconds: Math.ceil(opts.appDrainMs / 1000) + STOP_MARGIN_SECONDS }),
    "scale-worker.service": unitFile({ description: "scale-worker: stage 5's photo and archive jobs", start: "scale-worker", stopSeconds: WORKER_JOB_SECONDS }),
  };
}

/** How long the worker's jobs in hand may take to finish when it stops. */
export const WORKER_JOB_SECONDS = 180;
