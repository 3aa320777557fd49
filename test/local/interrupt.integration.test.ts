/**
 * A local move stopped in the middle of its data move (as Ctrl-C stops it: the signal the CLI aborts), then continued
 * with `scale local move --resume`, or cleaned up with `--abort` and tried again from scratch.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LocalStage } from "../../local/engine.ts";
import { readState } from "../../local/state.ts";
import type { ScaleRun } from "../cli/run-scale.ts";
import { local, localDir, localRun, login, type StageDoc } from "./support.ts";

interface MoveDoc {
  from: number;
  to: number;
  steps: { name: string; status: string }[];
}

/** Runs the engine's move to `to`, aborting its signal once the data move has finished `afterStep`; returns its error. */
async function moveStoppedAfter(dir: string, to: number, afterStep: string): Promise<Error> {
  const interrupt = new AbortController();
  const engine = new LocalStage(dir, {});
  const err = await engine
    .move(to, {
      signal: interrupt.signal,
      onStep: (s) => {
        if (s.status === "ok" && s.name.endsWith(`data: ${afterStep}`)) interrupt.abort(new Error("interrupted by SIGINT"));
      },
    })
    .then(() => undefined, (e: Error) => e);
  if (!err) throw new Error(`the move to ${to} finished although it was stopped after ${afterStep}`);
  return err;
}

/** Everything a run said: with --json the error is a JSON document on stdout. */
const said = (run: ScaleRun) => `${run.stdout}\n${run.stderr}\n${run.message ?? ""}`;

async function write(endpoint: string, token: string, content: string): Promise<string> {
  const res = await fetch(`${endpoint}/v1/items`, {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ content }),
  });
  expect(res.status, await res.clone().text()).to.equal(201);
  return ((await res.json()) as { id: string }).id;
}

async function read(endpoint: string, id: string): Promise<string> {
  const res = await fetch(`${endpoint}/v1/items/${id}`);
  expect(res.status, id).to.equal(200);
  return ((await res.json()) as { content: string }).content;
}

describe("scale local move: stopped mid data move, then resumed or cleaned up", function () {
  this.timeout(900_000);
  const dir = localDir("scale-local-stop");
  let up: StageDoc;
  let token: string;
  const written = new Map<string, string>();

  before(async () => {
    up = await local("up", "--stage", "0", "--dir", dir, "--env", "RATE_LIMIT_PER_MINUTE=0");
    token = await login(up.endpoint, "stopper");
    for (let i = 0; i < 20; i++) written.set(await write(up.endpoint, token, `before ${i}`), `before ${i}`);
  });
  after(async () => {
    await localRun("down", "--purge", "--dir", dir);
  });

  it("stops after the seed with the endpoint on stage 0 and writable, and refuses a new move until told what to do", async () => {
    const err = await moveStoppedAfter(dir, 1, "seed");
    expect(err.message).to.match(/0→1: data move stopped: .*interrupted by SIGINT/);
    expect(err.message).to.include("move --resume").and.include("move --abort");
    const state = await readState(dir);
    expect(state?.stage).to.equal(0);
    expect(state?.interrupted).to.include({ from: 0, to: 1, target: 1, step: "data move" });
    expect(existsSync(join(dir, "data-move.json"))).to.equal(true);

    // The old side serves, reads and writes, while the move is stopped.
    const id = await write(up.endpoint, token, "while stopped");
    written.set(id, "while stopped");

    const refused = await localRun("move", "--to", "2", "--dir", dir);
    expect(refused.exit).to.equal(2);
    expect(said(refused)).to.match(/stopped at 0→1: data move/).and.match(/--resume/).and.match(/--abort/);
    const both = await localRun("move", "--to", "1", "--resume", "--dir", dir);
    expect(both.exit).to.equal(2);
  });

  it("--resume continues from the replica the seed made, and keeps every write made before and while it was stopped", async () => {
    const doc = await local<MoveDoc>("move", "--resume", "--dir", dir);
    expect([doc.from, doc.to]).to.deep.equal([0, 1]);
    const names = doc.steps.map((s) => s.name);
    // The seed is not done twice: the resume starts at the replica.
    expect(names).to.not.include("0→1: data: seed");
    expect(names).to.include.members(["0→1: data: replicate", "0→1: data: freeze", "0→1: data: switch", "0→1: contract"]);
    expect(doc.steps.filter((s) => s.status !== "ok")).to.deep.equal([]);
    const state = await readState(dir);
    expect(state?.stage).to.equal(1);
    expect(state?.interrupted).to.equal(undefined);
    expect(existsSync(join(dir, "data-move.json"))).to.equal(false);
    for (const [id, content] of written) expect(await read(up.endpoint, id)).to.equal(content);
    written.set(await write(up.endpoint, token, "at stage 1"), "at stage 1");
  });

  it("--abort after the replica caught up puts the old database back in charge, and a new move starts clean", async () => {
    const nothing = await localRun("move", "--abort", "--dir", dir);
    expect(nothing.exit).to.equal(2);
    expect(said(nothing)).to.match(/nothing to clean up/);

    const err = await moveStoppedAfter(dir, 0, "catch-up");
    expect(err.message).to.match(/1→0: data move stopped/);
    const aborted = await local<MoveDoc>("move", "--abort", "--dir", dir);
    expect([aborted.from, aborted.to]).to.deep.equal([1, 1]);
    expect(aborted.steps.map((s) => s.name)).to.include("abort 1→0: undo the data move");
    const status = await local("status", "--dir", dir);
    expect(status.stage).to.equal(1);
    // The box's database the move had started is stopped again; RDS's stand-in serves and takes writes.
    expect(status.components.map((c) => c.name)).to.not.include("mariadb-box");
    written.set(await write(up.endpoint, token, "after the abort"), "after the abort");

    // The seed the aborted move left is gone, so a new move down is not refused for a half-filled target.
    const down = await local<MoveDoc>("move", "--to", "0", "--dir", dir);
    expect(down.steps.map((s) => s.name)).to.include("1→0: data: seed");
    for (const [id, content] of written) expect(await read(up.endpoint, id)).to.equal(content);
  });

  it("after the servers switched, refuses --abort (it would strand writes on the new database) and --resume finishes", async () => {
    const err = await moveStoppedAfter(dir, 1, "cleanup");
    expect(err.message).to.match(/0→1: verify stopped/);
    expect((await readState(dir))?.interrupted).to.include({ step: "verify", switched: true });
    // Written on the new database while the move is stopped: an undo to the box's database would lose it.
    written.set(await write(up.endpoint, token, "after the switch"), "after the switch");

    const refused = await localRun("move", "--abort", "--dir", dir);
    expect(refused.exit).to.equal(2);
    expect(said(refused)).to.match(/cannot be undone/).and.match(/--resume/);

    const doc = await local<MoveDoc>("move", "--resume", "--dir", dir);
    expect([doc.from, doc.to]).to.deep.equal([0, 1]);
    // The data move is not done again: it finished before the stop.
    expect(doc.steps.map((s) => s.name)).to.deep.equal(["0→1: expand", "0→1: verify", "0→1: contract"]);
    expect((await readState(dir))?.stage).to.equal(1);
    for (const [id, content] of written) expect(await read(up.endpoint, id)).to.equal(content);
  });
});
