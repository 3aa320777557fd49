/**
 * The local-stage engine: `scale local up/status/down/move` over one folder. A stage's servers come from its
 * topology (local/forms.ts), run under the folder's supervisor, and sit behind HAProxy, whose port is the endpoint
 * for the life of the folder. A move goes one stage at a time: expand, move the data when the database changes,
 * switch the tiers behind the front door, verify, contract.
 */
import { spawn, execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, openSync, closeSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { getStage } from "../stacks/stages.ts";
import { HEALTH_CHECK_PATH, DATABASE_NAME } from "../runtime/servers.ts";
import { generatedSecret } from "../runtime/generated.ts";
import { deriveTopology, SERVICE_BUCKETS, type DatabaseForm, type PlanView, type TierForm, type Topology } from "./forms.ts";
import { launcherOf, sourceLauncher, REPO_ROOT, type Launch, type Launcher } from "./launcher.ts";
import { localEnv, localBucket, secretsFolder, type LocalFacts } from "./runtime-env.ts";
import {
  binary, checkHaproxyConfig, ensureMariaDbData, freePort, haproxyConfig, haproxyPaths, haproxySpec, httpReady, mariadbSpec,
  masterCommand, redisConfig, redisSpec, STOP_ORDER, portAnswers, unavailableResponse, waitFor, workersOf,
} from "./servers.ts";
import { localPaths, readState, withLock, writeState, type AppProcess, type ComponentView, type LocalState } from "./state.ts";
import { supervisorPaths, writeAtomic, type Desired, type ProcessSpec, type Running } from "./supervisor.ts";
import { loadDataMover, type DataMover, type MoveStep } from "./data-move.ts";
import { checkServing } from "./probe.ts";
import { adminUrl, initReplica, initWritable, mysqlAnswers } from "./databases.ts";
import { fileMoveState, type AuditWriter, type MoveJournal } from "../moves/journal.ts";

const run = promisify(execFile);

/** What `up` and `status` print (contract §4). */
export interface StageDocument {
  stage: number;
  endpoint: string;
  dir: string;
  components: (ComponentView & { health?: "up" | "down" })[];
  reported?: string[];
}

export interface MoveDocument {
  from: number;
  to: number;
  steps: MoveStep[];
  writeUnavailableSeconds: number;
}

export interface MoveOptions {
  onStep?: (step: MoveStep) => void;
  /** Aborted on SIGINT/SIGTERM: the move stops at its next safe point, records where, and serves from the old side. */
  signal?: AbortSignal;
  /** Where the data move records its steps (the CLI passes its audit log). */
  audit?: AuditWriter;
}

/** The processes a tier switch keeps, and the ones it started beside them. */
interface TierSwitch {
  keep: AppProcess[];
  starting: { app: AppProcess; spec: ProcessSpec }[];
}

export interface EngineDeps {
  /** The offline plan of a stage (stacks/plan.ts by default; tests may pass a fake). */
  plan?: (stage: number) => Promise<PlanView>;
  launcher?: Launcher;
  mover?: DataMover;
  progress?: (line: string) => void;
}

/** A usage mistake (exit 2), e.g. `up` on a folder that holds another stage. */
export class LocalUsageError extends Error {}

export class LocalStage {
  private state!: LocalState;
  private desired: ProcessSpec[] = [];
  private readonly topologies = new Map<number, Topology>();
  private facts!: LocalFacts;
  private launcher: Launcher;
  private readonly progress: (line: string) => void;

  constructor(readonly dir: string, private readonly deps: EngineDeps = {}) {
    this.launcher = deps.launcher ?? sourceLauncher();
    this.progress = deps.progress ?? (() => undefined);
  }

  // --- up / status / down -------------------------------------------------------------------------------------

  async up(stage: number, overrides: Record<string, string> = {}): Promise<StageDocument> {
    return withLock(this.dir, () => this.upLocked(stage, overrides));
  }

  private async upLocked(stage: number, overrides: Record<string, string>): Promise<StageDocument> {
    const previous = await readState(this.dir);
    if (previous && previous.stage !== stage) {
      throw new LocalUsageError(`${this.dir} holds stage ${previous.stage}: run \`scale local up --stage ${previous.stage}\` then \`scale local move --to ${stage}\`, or \`scale local down --purge\` to start over`);
    }
    if (previous?.running && (await this.supervisorAlive())) return this.status();
    const topology = await this.topology(stage);
    this.requireBinaries(topology);
    const endpointPort = previous?.endpointPort ?? (await freePort());
    this.state = {
      stage, endpoint: `http://127.0.0.1:${endpointPort}`, endpointPort, generation: previous?.generation ?? 0,
      ports: previous?.ports ?? {}, counters: previous?.counters ?? {}, apps: [], overrides: { ...previous?.overrides, ...overrides },
      launcher: this.launcher.id, components: [], running: true,
    };
    this.facts = { dir: this.dir, topology, ports: this.state.ports };
    const paths = localPaths(this.dir);
    for (const p of [paths.logs, paths.data, paths.secrets, paths.haproxy, paths.run]) await mkdir(p, { recursive: true });
    await writeState(this.dir, this.state);
    await this.startSupervisor();
    await this.expand(topology, { fresh: false });
    await this.runMigrate(topology);
    await this.switchTiers(topology);
    await waitFor(`the endpoint ${this.state.endpoint}${HEALTH_CHECK_PATH}`, () => httpReady(`${this.state.endpoint}${HEALTH_CHECK_PATH}`), 60_000, this.logHint("haproxy"));
    await this.save();
    return this.document(topology);
  }

  async status(): Promise<StageDocument> {
    const state = await this.loadState();
    const running = await this.readRunning();
    const alive = running !== undefined && isAlive(running.pid);
    const components = await Promise.all(state.components.map(async (c) => {
      const pid = alive ? (running.processes[c.name]?.pid ?? null) : null;
      const port = Number(c.address.split(":").pop());
      const healthy = pid !== null && (c.kind === "app" ? await httpReady(`http://${c.address}${HEALTH_CHECK_PATH}`, 1500) : c.kind === "worker" ? isAlive(pid) : await portAnswers(port));
      return { ...c, pid, health: healthy ? ("up" as const) : ("down" as const) };
    }));
    return { stage: state.stage, endpoint: state.endpoint, dir: this.dir, components };
  }

  /** Stops every process the folder's supervisor started; `purge` removes the folder too. */
  async down(purge = false): Promise<{ dir: string; stopped: string[]; purged: boolean }> {
    if (!existsSync(this.dir)) return { dir: this.dir, stopped: [], purged: false };
    const result = await withLock(this.dir, () => this.downLocked());
    if (purge) await rm(this.dir, { recursive: true, force: true });
    return { ...result, purged: purge };
  }

  private async downLocked(): Promise<{ dir: string; stopped: string[] }> {
    const state = await readState(this.dir);
    const running = await this.readRunning();
    const stopped = state?.components.map((c) => c.name) ?? [];
    if (running && isAlive(running.pid)) {
      process.kill(running.pid, "SIGTERM");
      const deadline = Date.now() + 90_000;
      while (isAlive(running.pid) && Date.now() < deadline) await sleep(200);
      if (isAlive(running.pid)) {
        // The supervisor hung: end it and what it started, by their own pids.
        for (const p of Object.values(running.processes)) if (p.pid && isAlive(p.pid)) process.kill(p.pid, "SIGKILL");
        process.kill(running.pid, "SIGKILL");
      }
    }
    if (state) await writeState(this.dir, { ...state, running: false, apps: [], components: [] });
    return { dir: this.dir, stopped };
  }

  // --- move ---------------------------------------------------------------------------------------------------

  /** Moves one stage at a time to `to`, keeping the endpoint. */
  async move(to: number, opts: MoveOptions = {}): Promise<MoveDocument> {
    return withLock(this.dir, async () => {
      await this.openMove();
      if (this.state.interrupted) {
        const i = this.state.interrupted;
        throw new LocalUsageError(
          `the move to stage ${i.target} stopped at ${i.from}→${i.to}: ${i.step} (${i.error}): ` +
            `\`${this.command("move --resume")}\` continues it, \`${this.command("move --abort")}\` cleans it up and stays at stage ${i.from}`,
        );
      }
      getStage(to);
      return this.moveLocked(to, opts, false);
    });
  }

  /** Continues an interrupted move to the stage it was going to, from the step where it stopped. */
  async resume(opts: MoveOptions = {}): Promise<MoveDocument> {
    return withLock(this.dir, async () => {
      await this.openMove();
      const i = this.state.interrupted;
      if (!i) throw new LocalUsageError(`no move stopped in ${this.dir}: there is nothing to resume (\`${this.command("status")}\` shows the stage)`);
      return this.moveLocked(i.target, opts, true);
    });
  }

  /**
   * Cleans up an interrupted move and stays where it started: an unswitched data move undone (the old database
   * writable, the new one's seed and replication removed), the tiers put back, what the move started stopped.
   */
  async abort(opts: MoveOptions = {}): Promise<MoveDocument> {
    return withLock(this.dir, async () => {
      await this.openMove();
      const i = this.state.interrupted;
      if (!i) throw new LocalUsageError(`no move stopped in ${this.dir}: there is nothing to clean up (\`${this.command("status")}\` shows the stage)`);
      if (i.switched)
        throw new LocalUsageError(
          `the move ${i.from}→${i.to} stopped after the servers switched to the new database (writes may have landed there), ` +
            `so it cannot be undone: \`${this.command("move --resume")}\` finishes it; then move back to stage ${i.from} if that is where it should be`,
        );
      const steps: MoveStep[] = [];
      const timed = async (name: string, fn: () => Promise<void>) => {
        const started = performance.now();
        try {
          await fn();
        } catch (err) {
          const failed: MoveStep = { name: `abort ${i.from}→${i.to}: ${name}`, status: "failed", seconds: secondsSince(started) };
          steps.push(failed);
          opts.onStep?.(failed);
          throw err;
        }
        const done: MoveStep = { name: `abort ${i.from}→${i.to}: ${name}`, status: "ok", seconds: secondsSince(started) };
        steps.push(done);
        opts.onStep?.(done);
      };
      const before = await this.topology(i.from);
      const after = await this.topology(i.to);
      const journal = this.moveJournal(opts);
      const pending = journal.state.load();
      if (pending && pending.phase !== "done" && pending.phase !== "aborted") {
        const { abortDataMove, MoveInProgress } = await import("../moves/data-move.ts");
        await timed("undo the data move", async () => {
          try {
            await abortDataMove({ source: this.adminUrl(writable(before)), target: this.adminUrl(writable(after)), journal });
          } catch (err) {
            if (err instanceof MoveInProgress) throw new LocalUsageError(`${err.message}: \`${this.command("move --resume")}\``);
            throw err;
          }
        });
      }
      await timed("put the tiers back", async () => {
        this.facts = { ...this.facts, topology: before, ...(await this.awsFacts(before)) };
        await this.switchTiers(before);
      });
      await timed("contract", () => this.contract(before));
      journal.state.clear();
      delete this.state.interrupted;
      await this.save();
      return { from: i.from, to: i.from, steps, writeUnavailableSeconds: 0 };
    });
  }

  private async openMove(): Promise<void> {
    this.state = await this.loadState();
    this.launcher = launcherOf(this.state.launcher, this.dir);
    if (!this.state.running || !(await this.supervisorAlive())) throw new LocalUsageError(`nothing runs in ${this.dir}: run \`scale local up --stage ${this.state.stage}\` first`);
    const current = await this.topology(this.state.stage);
    this.facts = { dir: this.dir, topology: current, ports: this.state.ports, ...(await this.awsFacts(current)) };
    this.desired = await this.readDesired();
  }

  /** `scale local <rest> --dir DIR`, as the user types it. */
  private command(rest: string): string {
    return `scale local ${rest} --dir ${this.dir}`;
  }

  /** The data move's state beside the stage's (what a resume or a clean-up needs), and its audit records. */
  private moveJournal(opts: MoveOptions): MoveJournal {
    return {
      state: fileMoveState(localPaths(this.dir).dataMove),
      ...(opts.audit ? { audit: opts.audit } : {}),
      resumeCommand: this.command("move --resume"),
      abortCommand: this.command("move --abort"),
    };
  }

  private async moveLocked(to: number, opts: MoveOptions, resuming: boolean): Promise<MoveDocument> {
    const from = this.state.stage;
    const earlier = resuming ? this.state.interrupted : undefined;
    const steps: MoveStep[] = [];
    let writeUnavailableSeconds = 0;
    const record = (s: MoveStep) => {
      steps.push(s);
      opts.onStep?.(s);
    };
    const mover = this.deps.mover ?? (await loadDataMover()).move;
    const journal = this.moveJournal(opts);
    while (this.state.stage !== to) {
      const a = this.state.stage;
      const b = a < to ? a + 1 : a - 1;
      const label = (name: string) => `${a}→${b}: ${name}`;
      const pending = journal.state.load();
      const unfinished = resuming && pending !== undefined && pending.phase !== "done" && pending.phase !== "aborted";
      // A resume after a data move that finished (a later step stopped): the data is on the new side already.
      const moved = earlier?.switched === true && earlier.from === a && earlier.to === b && !unfinished;
      // Set once the servers use the new database: from then on only going forward keeps every write.
      let switched = moved;
      const stopped = async (step: string, err: unknown) => {
        this.state.interrupted = { from: a, to: b, target: to, step, error: (err as Error).message, ...(switched ? { switched } : {}) };
        await this.save();
        return new Error(
          `${label(step)} stopped: ${(err as Error).message}; the endpoint serves from stage ${a}: ` +
            `\`${this.command("move --resume")}\` continues, \`${this.command("move --abort")}\` cleans up`,
          { cause: err },
        );
      };
      const timed = async (name: string, fn: () => Promise<void>) => {
        const started = performance.now();
        try {
          opts.signal?.throwIfAborted();
          await fn();
          record({ name: label(name), status: "ok", seconds: secondsSince(started) });
        } catch (err) {
          record({ name: label(name), status: "failed", seconds: secondsSince(started) });
          throw await stopped(name, err);
        }
      };
      const before = await this.topology(a);
      const after = await this.topology(b);
      this.requireBinaries(after);
      await timed("expand", () => this.expand(after, { fresh: true }));
      const oldDb = writable(before);
      const newDb = writable(after);
      // The new processes start inside the freeze: the stage's app account on the new database is made by its
      // migration step, which cannot run while that database is still a replica (its writes would fork the GTID
      // history), so they could not connect any earlier.
      const switchServers = async () => {
        this.facts = { ...this.facts, topology: after, ...(await this.awsFacts(after)) };
        if (newDb.name !== oldDb.name) await this.initDatabase(after, newDb);
        await this.runMigrate(after);
        await this.switchTiers(after);
      };
      const serving = () => checkServing(this.state.endpoint, secretsFolder(this.dir));
      if (newDb.name !== oldDb.name && !moved) {
        const started = performance.now();
        try {
          opts.signal?.throwIfAborted();
          const result = await mover({
            source: this.adminUrl(oldDb), target: this.adminUrl(newDb), database: DATABASE_NAME, switchServers, checkServing: serving,
            onStep: (s) => record({ ...s, name: label(`data: ${s.name}`) }),
            journal, resume: unfinished,
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
          switched = true;
          journal.state.clear();
          writeUnavailableSeconds += result.writeUnavailableSeconds;
        } catch (err) {
          if ((err as { serving?: string }).serving === "target") switched = true;
          record({ name: label("data move"), status: "failed", seconds: secondsSince(started) });
          throw await stopped("data move", err);
        }
      } else if (!moved) {
        await timed("switch tiers", switchServers);
      }
      await timed("verify", serving);
      await timed("contract", () => this.contract(after));
      this.state.stage = b;
      delete this.state.interrupted;
      resuming = false;
      await this.save();
    }
    return { from, to, steps, writeUnavailableSeconds: Math.round(writeUnavailableSeconds * 100) / 100 };
  }

  // --- servers ------------------------------------------------------------------------------------------------

  /** Starts the topology's data servers and stand-ins that do not run yet; `fresh`: a new server starts empty. */
  private async expand(topology: Topology, opts: { fresh: boolean }): Promise<void> {
    const have = new Set(this.desired.map((p) => p.name));
    const added: ProcessSpec[] = [];
    const data = localPaths(this.dir).data;
    for (const db of topology.databases) {
      if (have.has(db.name)) continue;
      const folder = join(data, db.name);
      if (opts.fresh) await rm(folder, { recursive: true, force: true });
      await ensureMariaDbData(data, folder);
      added.push(mariadbSpec({ name: db.name, port: await this.port(db.name), folder, serverId: db.serverId, replica: db.role === "replica" }));
    }
    if (topology.cache && !have.has("redis")) {
      const folder = join(data, "redis");
      await mkdir(folder, { recursive: true });
      const port = await this.port("redis");
      await writeFile(join(folder, "redis.conf"), redisConfig(port, folder, await this.cachePassword(topology)), { mode: 0o600 });
      added.push(redisSpec(port, folder));
    }
    const buckets = topology.buckets.filter((b) => SERVICE_BUCKETS[b]);
    if (buckets.length > 0 && !have.has("s3")) added.push(await this.standIn("s3", buckets.map((b) => ["--bucket", localBucket(b)]).flat()));
    if (topology.queues.length > 0 && !have.has("sqs")) {
      const args = topology.queues
        .sort((x, y) => Number(x.deadLetterOf === undefined) - Number(y.deadLetterOf === undefined))
        .flatMap((q) => {
          const dlq = topology.queues.find((d) => d.deadLetterOf === q.name);
          return ["--queue", dlq ? `${q.name}:${dlq.name}:5` : q.name];
        });
      added.push(await this.standIn("sqs", args));
    }
    if (added.length === 0) return;
    this.progress(`starting ${added.map((p) => p.name).join(", ")}`);
    await this.apply([...this.desired, ...added]);
    for (const spec of added) await this.waitReady(spec);
    for (const db of topology.databases) if (added.some((s) => s.name === db.name)) await this.initDatabase(topology, db);
    this.facts = { ...this.facts, ...(await this.awsFacts(topology)) };
  }

  private async standIn(name: "s3" | "sqs", args: string[]): Promise<ProcessSpec> {
    const port = await this.port(name);
    const report = join(localPaths(this.dir).run, `${name}.json`);
    await rm(report, { force: true });
    return {
      name, kind: name, command: process.execPath, cwd: REPO_ROOT, address: `127.0.0.1:${port}`, stopOrder: STOP_ORDER.standin, env: {},
      args: ["--import", "tsx", join(REPO_ROOT, "local", "aws-standin.ts"), "--port", String(port), "--report", report, ...args],
    };
  }

  private async awsFacts(topology: Topology): Promise<Pick<LocalFacts, "aws">> {
    const read = async (name: string) => {
      const file = join(localPaths(this.dir).run, `${name}.json`);
      return existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as { endpoint: string; queues: Record<string, string> }) : undefined;
    };
    const hasS3 = topology.buckets.some((b) => SERVICE_BUCKETS[b]);
    if (!hasS3 && topology.queues.length === 0) return { aws: undefined };
    const s3 = hasS3 ? await read("s3") : undefined;
    const sqs = topology.queues.length > 0 ? await read("sqs") : undefined;
    return { aws: { s3: s3?.endpoint, sqs: sqs?.endpoint, queues: sqs?.queues ?? {} } };
  }

  private async waitReady(spec: ProcessSpec): Promise<void> {
    const port = Number(spec.address.split(":").pop());
    const probe = spec.kind === "mariadb" ? () => mysqlAnswers(port)
      : spec.kind === "s3" || spec.kind === "sqs" ? async () => existsSync(join(localPaths(this.dir).run, `${spec.name}.json`))
      : () => portAnswers(port);
    await waitFor(`${spec.name} (${spec.address})`, probe, 90_000, this.logHint(spec.name));
  }

  private adminUrl(db: DatabaseForm): string {
    return adminUrl(this.state.ports[db.name]!);
  }

  /** A database's accounts as the stack's would be (local/databases.ts); a replica follows the writable one. */
  private async initDatabase(topology: Topology, db: DatabaseForm): Promise<void> {
    const replPassword = await generatedSecret(join(secretsFolder(this.dir), "local"), "replication-password");
    const port = this.state.ports[db.name]!;
    if (db.role !== "replica") {
      const admin = await this.migrateAdmin(topology);
      await initWritable(port, { replPassword, ...(admin ? { admin } : {}) });
      return;
    }
    const source = writable(topology);
    await initReplica(port, { port: this.state.ports[source.name]!, name: source.name }, replPassword, db.name, join(localPaths(this.dir).logs, `${db.name}.log`));
  }

  /** The admin account the migrating tier's runtime names (user and password), resolved locally. */
  private async migrateAdmin(topology: Topology): Promise<{ user: string; password: string } | undefined> {
    const tier = topology.tiers.find((t) => t.runtime.migrate);
    if (!tier?.runtime.migrate) return undefined;
    const env = await localEnv({ ...this.facts, topology }, tier.runtime.migrate, {});
    if (!env.DATABASE_ADMIN_URL) return undefined;
    const user = decodeURIComponent(new URL(env.DATABASE_ADMIN_URL).username);
    const password = env.DATABASE_ADMIN_PASSWORD_FILE ? (await readFile(env.DATABASE_ADMIN_PASSWORD_FILE, "utf8")).trim() : "";
    return { user, password };
  }

  private async cachePassword(topology: Topology): Promise<string> {
    const tier = topology.tiers.find((t) => t.runtime.env.REDIS_URL);
    if (!tier) throw new Error(`stage ${topology.stage} has a cache but no tier uses it`);
    const env = await localEnv({ ...this.facts, topology }, { REDIS_URL: tier.runtime.env.REDIS_URL! }, {});
    return decodeURIComponent(new URL(env.REDIS_URL!).password);
  }

  /** The migration step, as a server runs it before its service starts: the database, the app user, the schema. */
  private async runMigrate(topology: Topology): Promise<void> {
    const tier = topology.tiers.find((t) => t.runtime.migrate);
    if (!tier?.runtime.migrate) return;
    const env = await localEnv({ ...this.facts, topology }, tier.runtime.migrate, {});
    const launch = this.launcher.launch("migrate");
    this.progress(`migrating (${tier.tier} tier's migration step)`);
    try {
      await run(launch.command, launch.args, { cwd: launch.cwd, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 180_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`the migration step failed: ${(e.stderr || e.stdout || e.message).trim()}`, { cause: err });
    }
  }

  /** Brings each tier to the topology's count of processes with its runtime: see startTiers and serveTiers. */
  private async switchTiers(topology: Topology): Promise<void> {
    await this.serveTiers(topology, await this.startTiers(topology));
  }

  /**
   * Starts what each tier lacks to run the topology's count of processes with its runtime, and waits until they
   * answer. Nothing serves from them yet.
   */
  private async startTiers(topology: Topology): Promise<TierSwitch> {
    const keep: AppProcess[] = [];
    const starting: { app: AppProcess; spec: ProcessSpec }[] = [];
    for (const tier of topology.tiers) {
      const env = await localEnv({ ...this.facts, topology }, tier.runtime.env, this.state.overrides);
      const identity = this.identity(tier, env);
      const same = this.state.apps.filter((a) => a.tier === tier.tier && a.identity === identity).slice(0, tier.count);
      keep.push(...same);
      for (let i = same.length; i < tier.count; i++) starting.push(await this.appProcess(tier, env, identity));
    }
    if (starting.length > 0) {
      this.progress(`starting ${starting.map((s) => s.app.name).join(", ")}`);
      await this.apply([...this.desired, ...starting.map((s) => s.spec)]);
      try {
        await Promise.all(starting.map(({ app }) => app.port === null
          ? this.waitAlive(app.name)
          : waitFor(`${app.name} (127.0.0.1:${app.port})`, () => httpReady(`http://127.0.0.1:${app.port}${HEALTH_CHECK_PATH}`), 120_000, this.logHint(app.name))));
      } catch (err) {
        await this.stopStarted({ keep, starting }).catch(() => undefined);
        throw err;
      }
    }
    return { keep, starting };
  }

  /**
   * Reloads the front door with the started processes in place of the old ones; the old ones drain and stop. If the
   * front door cannot take them, the old processes go on serving and the new ones stop, so a second try starts clean.
   */
  private async serveTiers(topology: Topology, { keep, starting }: TierSwitch): Promise<void> {
    const leaving = this.state.apps.filter((a) => !keep.includes(a));
    if (starting.length === 0 && leaving.length === 0 && this.desired.some((p) => p.name === "haproxy")) return;
    const serving = [...keep, ...starting.map((s) => s.app)];
    try {
      await this.frontDoor(topology, serving);
    } catch (err) {
      await this.stopStarted({ keep, starting }).catch(() => undefined);
      throw err;
    }
    this.state.apps = serving;
    if (leaving.length > 0) {
      this.progress(`stopping ${leaving.map((a) => a.name).join(", ")}`);
      const gone = new Set(leaving.map((a) => a.name));
      await this.apply(this.desired.filter((p) => !gone.has(p.name)));
    }
    await this.save();
  }

  private async stopStarted({ starting }: TierSwitch): Promise<void> {
    if (starting.length === 0) return;
    const started = new Set(starting.map((s) => s.app.name));
    await this.apply(this.desired.filter((p) => !started.has(p.name)));
  }

  private identity(tier: TierForm, env: Record<string, string>): string {
    return createHash("sha256").update(JSON.stringify([tier.tier, env, this.launcher.id])).digest("hex").slice(0, 16);
  }

  private async appProcess(tier: TierForm, env: Record<string, string>, identity: string): Promise<{ app: AppProcess; spec: ProcessSpec }> {
    const n = (this.state.counters[tier.tier] ?? 0) + 1;
    this.state.counters[tier.tier] = n;
    const worker = tier.tier === "worker";
    const name = worker ? `worker-${n}` : `app-${tier.tier}-${n}`;
    const port = worker ? null : await freePort();
    const dataDir = join(localPaths(this.dir).data, name);
    await mkdir(dataDir, { recursive: true });
    const launch = this.launcher.launch(worker ? "worker" : "app");
    const spec: ProcessSpec = {
      name, kind: worker ? "worker" : "app", command: launch.command, args: launch.args, cwd: launch.cwd,
      address: port === null ? "-" : `127.0.0.1:${port}`, stopOrder: STOP_ORDER.app,
      env: { ...env, ...(port === null ? {} : { PORT: String(port) }), DATA_DIR: dataDir },
    };
    return { app: { name, tier: tier.tier, port, identity }, spec };
  }

  private async waitAlive(name: string): Promise<void> {
    await sleep(1500);
    const running = await this.readRunning();
    const p = running?.processes[name];
    if (!p?.pid || !isAlive(p.pid) || p.starts > 1) throw new Error(`${name} did not stay up: see ${this.logHint(name)}`);
  }

  /** Writes HAProxy's config for the serving processes, then starts it or reloads it (its port never closes). */
  private async frontDoor(topology: Topology, serving: AppProcess[]): Promise<void> {
    const folder = localPaths(this.dir).haproxy;
    const paths = haproxyPaths(folder);
    const servers: Record<string, { name: string; port: number }[]> = {};
    for (const a of serving) if (a.port !== null) (servers[a.tier] ??= []).push({ name: a.name, port: a.port });
    await writeFile(paths.unavailable, unavailableResponse());
    const config = haproxyConfig({ port: this.state.endpointPort, folder, mode: topology.frontDoor, servers }, HEALTH_CHECK_PATH);
    const next = `${paths.config}.next`;
    await writeFile(next, config);
    await checkHaproxyConfig(next);
    await writeAtomic(paths.config, config);
    const running = await this.readRunning();
    const pid = running?.processes.haproxy?.pid;
    if (!this.desired.some((p) => p.name === "haproxy") || !pid) {
      const spec = haproxySpec({ port: this.state.endpointPort, folder, mode: topology.frontDoor, servers });
      await this.apply([...this.desired.filter((p) => p.name !== "haproxy"), spec]);
      await waitFor(`haproxy on ${this.state.endpoint}`, () => portAnswers(this.state.endpointPort), 30_000, this.logHint("haproxy"));
      return;
    }
    const before = workersOf(await masterCommand(paths.master, "show proc"));
    process.kill(pid, "SIGUSR2");
    // The reload is done when a new worker serves and the old ones have finished their requests and exited.
    await waitFor("HAProxy's reload", async () => {
      const now = workersOf(await masterCommand(paths.master, "show proc"));
      return now.current.some((w) => !before.current.includes(w)) && now.old.length === 0;
    }, 30_000, this.logHint("haproxy"));
  }

  /** Stops what the topology no longer has (its data stays in DIR/data, as a retained volume would). */
  private async contract(topology: Topology): Promise<void> {
    const keep = new Set<string>(["haproxy", ...topology.databases.map((d) => d.name), ...this.state.apps.map((a) => a.name)]);
    if (topology.cache) keep.add("redis");
    if (topology.buckets.some((b) => SERVICE_BUCKETS[b])) keep.add("s3");
    if (topology.queues.length > 0) keep.add("sqs");
    const gone = this.desired.filter((p) => !keep.has(p.name));
    if (gone.length === 0) return;
    this.progress(`stopping ${gone.map((p) => p.name).join(", ")}`);
    await this.apply(this.desired.filter((p) => keep.has(p.name)));
    this.facts = { ...this.facts, topology, ...(await this.awsFacts(topology)) };
  }

  // --- one app process at a time (rolling deploys) -------------------------------------------------------------

  /** The app processes as the supervisor runs them: each one's spec (command, address, environment) and pid. */
  async appProcesses(): Promise<{ tier: string; spec: ProcessSpec; pid: number | null }[]> {
    const state = await this.loadState();
    const running = await this.readRunning();
    const specs = new Map((await this.readDesired()).map((p) => [p.name, p]));
    return state.apps.flatMap((a) => {
      const spec = specs.get(a.name);
      return spec && spec.kind === "app" ? [{ tier: a.tier, spec, pid: running?.processes[a.name]?.pid ?? null }] : [];
    });
  }

  /**
   * Stops app process `name` by taking it out of the supervisor's desired state (so the supervisor does not start it
   * again); returns its spec, for `startApp` to run it again, from another release, on the same address.
   */
  async stopApp(name: string): Promise<ProcessSpec> {
    return withLock(this.dir, async () => {
      await this.attach();
      const spec = this.desired.find((p) => p.name === name && p.kind === "app");
      if (!spec) throw new Error(`${this.dir} runs no app process ${name}`);
      await this.apply(this.desired.filter((p) => p !== spec));
      return spec;
    });
  }

  /** Runs an app process again from `launch` (another release) with `spec`'s address and environment; its pid. */
  async startApp(spec: ProcessSpec, launch: Launch): Promise<number> {
    return withLock(this.dir, async () => {
      await this.attach();
      if (this.desired.some((p) => p.name === spec.name)) throw new Error(`${spec.name} already runs in ${this.dir}: stop it first`);
      await this.apply([...this.desired, { ...spec, command: launch.command, args: launch.args, cwd: launch.cwd }]);
      const pid = (await this.readRunning())?.processes[spec.name]?.pid;
      if (!pid) throw new Error(`the supervisor did not start ${spec.name}: see ${this.logHint(spec.name)}`);
      return pid;
    });
  }

  /**
   * Records that the app processes now run release `version` (after a rolling deploy replaced them one by one): the
   * launcher later commands start new processes with, and each app's identity under it, so a `move` keeps them.
   */
  async adoptRelease(version: string): Promise<void> {
    return withLock(this.dir, async () => {
      await this.attach();
      const id = version === "source" ? "source" : `release ${version}`;
      this.launcher = launcherOf(id, this.dir);
      const topology = await this.topology(this.state.stage);
      this.facts = { dir: this.dir, topology, ports: this.state.ports, ...(await this.awsFacts(topology)) };
      const apps = new Set(this.desired.filter((p) => p.kind === "app").map((p) => p.name));
      for (const tier of topology.tiers) {
        const identity = this.identity(tier, await localEnv({ ...this.facts, topology }, tier.runtime.env, this.state.overrides));
        for (const a of this.state.apps) if (a.tier === tier.tier && apps.has(a.name)) a.identity = identity;
      }
      this.state.launcher = id;
      await this.save();
    });
  }

  /** Loads what a running stage's commands change: its state and the supervisor's desired processes. */
  private async attach(): Promise<void> {
    this.state = await this.loadState();
    if (!this.state.running || !(await this.supervisorAlive())) throw new LocalUsageError(`nothing runs in ${this.dir}: run \`scale local up --stage ${this.state.stage}\` first`);
    this.desired = await this.readDesired();
  }

  // --- plumbing -----------------------------------------------------------------------------------------------

  private async topology(stage: number): Promise<Topology> {
    let t = this.topologies.get(stage);
    if (!t) {
      const plan = this.deps.plan ?? (async (s: number) => (await import("../stacks/plan.ts")).planStage(s));
      t = deriveTopology(getStage(stage), await plan(stage));
      this.topologies.set(stage, t);
    }
    return t;
  }

  private requireBinaries(topology: Topology): void {
    binary("mariadbd");
    binary("mariadb-install-db");
    binary("haproxy");
    if (topology.cache) binary("redis-server");
  }

  private async port(name: string): Promise<number> {
    this.state.ports[name] ??= await freePort();
    return this.state.ports[name];
  }

  private logHint(name: string): string {
    return `see ${join(localPaths(this.dir).logs, `${name}.log`)}`;
  }

  private async loadState(): Promise<LocalState> {
    const state = await readState(this.dir);
    if (!state) throw new LocalUsageError(`no local stage in ${this.dir}: run \`scale local up --stage 0 --dir ${this.dir}\` first`);
    return state;
  }

  private async readRunning(): Promise<Running | undefined> {
    const file = supervisorPaths(this.dir).running;
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(await readFile(file, "utf8")) as Running;
    } catch {
      return undefined;
    }
  }

  private async readDesired(): Promise<ProcessSpec[]> {
    const file = supervisorPaths(this.dir).desired;
    return existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Desired).processes : [];
  }

  private async supervisorAlive(): Promise<boolean> {
    const running = await this.readRunning();
    return running !== undefined && isAlive(running.pid) && !running.stopping;
  }

  /** Starts the folder's supervisor, detached (it outlives this process), with nothing to run yet. */
  private async startSupervisor(): Promise<void> {
    const paths = supervisorPaths(this.dir);
    await mkdir(paths.folder, { recursive: true });
    this.desired = [];
    await writeAtomic(paths.desired, JSON.stringify({ generation: this.state.generation, processes: [] } satisfies Desired));
    await rm(paths.running, { force: true });
    const log = openSync(paths.log, "a");
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "local", "supervise.ts"), this.dir], {
      cwd: REPO_ROOT, detached: true, stdio: ["ignore", log, log], env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    });
    closeSync(log);
    child.unref();
    await waitFor("the supervisor", async () => (await this.readRunning())?.pid === child.pid, 30_000, `see ${paths.log}`);
  }

  /** Gives the supervisor a new set of processes and waits until it has applied it. */
  private async apply(processes: ProcessSpec[]): Promise<void> {
    const running = await this.readRunning();
    if (!running || !isAlive(running.pid)) throw new Error(`the supervisor of ${this.dir} is not running: run \`scale local down\` then \`up\` again`);
    // After an interrupted command the supervisor may be ahead of state.json: count on from the larger.
    const generation = (this.state.generation = Math.max(this.state.generation, running.generation) + 1);
    await writeAtomic(supervisorPaths(this.dir).desired, JSON.stringify({ generation, processes } satisfies Desired, null, 2));
    process.kill(running.pid, "SIGHUP");
    this.desired = processes;
    await waitFor("the supervisor to apply the change", async () => ((await this.readRunning())?.generation ?? -1) >= generation, 90_000, `see ${supervisorPaths(this.dir).log}`);
    await this.save();
  }

  private async save(): Promise<void> {
    const running = await this.readRunning();
    this.state.components = this.desired.map((p) => ({ name: p.name, kind: p.kind, address: p.address, pid: running?.processes[p.name]?.pid ?? null }));
    await writeState(this.dir, this.state);
  }

  private async document(topology: Topology): Promise<StageDocument> {
    return { stage: this.state.stage, endpoint: this.state.endpoint, dir: this.dir, components: this.state.components, reported: topology.reported };
  }
}

function writable(topology: Topology): DatabaseForm {
  return topology.databases.find((d) => d.role !== "replica")!;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (started: number) => Math.round((performance.now() - started) / 10) / 100;
