/**
 * A data move interrupted at each step (an abort, as SIGINT gives, or a failed step), then resumed: the interruption
 * leaves the application user writing to the source, the journal names the step and the commands, and the resumed
 * move ends with every acknowledged write on the target. Abort cleans the target up instead.
 */
import { expect } from "chai";
import { join } from "node:path";
import { abortDataMove, DATA_MOVE_STEPS, DataMoveError, moveData, MoveInProgress, type DataMoveOptions } from "../../moves/data-move.ts";
import { fileMoveState, type MoveJournal } from "../../moves/journal.ts";
import { SqlRig } from "../support/move-rig.ts";
import { tempDir } from "../support/tmp.ts";

function journalAt(records: Array<Record<string, unknown>>): MoveJournal {
  return {
    state: fileMoveState(join(tempDir("scale-move"), "move.json")),
    audit: { record: (e) => records.push(e) },
    resumeCommand: "scale stage resume",
    abortCommand: "scale stage abort",
  };
}

async function interrupted(run: Promise<unknown>): Promise<DataMoveError> {
  try {
    await run;
  } catch (err) {
    if (err instanceof DataMoveError) return err;
    throw err;
  }
  throw new Error("the move was expected to stop, and it finished");
}

describe("moveData interrupted and resumed", function () {
  this.timeout(120_000);
  let rig: SqlRig;
  beforeEach(async () => {
    rig = new SqlRig();
    await rig.start();
  });
  afterEach(async () => rig?.stop());

  const options = (journal: MoveJournal, extra: Partial<DataMoveOptions> = {}): DataMoveOptions => ({
    source: rig.source.url,
    target: rig.target.url,
    database: "app",
    switchServers: () => rig.switchServers(),
    checkServing: () => rig.checkServing(),
    journal,
    ...extra,
  });

  async function finishAndCheck(journal: MoveJournal) {
    const done = await moveData(options(journal, { resume: true }));
    expect(done.resumed).to.equal(true);
    await new Promise((r) => setTimeout(r, 200));
    await rig.stopWriter();
    expect(rig.violations).to.deep.equal([]);
    expect(await rig.missingOn("target")).to.deep.equal([]);
    expect(journal.state.load()?.phase).to.equal("done");
    expect((await rig.source.sql("SELECT @@read_only")).trim()).to.equal("1");
    expect((await rig.target.sql("SELECT COUNT(*) FROM items WHERE id LIKE 'seed-%'", "app")).trim()).to.equal("500");
  }

  // Steps an abort can stop: everything before the switch (after it begins, the switch is finished first).
  for (const at of DATA_MOVE_STEPS.slice(1, DATA_MOVE_STEPS.indexOf("switch"))) {
    it(`aborted at ${at}: the source writes again, the record names the step, and a resume finishes the move`, async () => {
      const records: Array<Record<string, unknown>> = [];
      const journal = journalAt(records);
      const ac = new AbortController();
      const err = await interrupted(
        moveData(options(journal, { signal: ac.signal, onStep: (s) => s.name === at && s.status === "running" && ac.abort(new Error("SIGINT")) })),
      );
      expect(err.step).to.equal(at);
      expect(err.serving).to.equal("source");
      expect(err.aborted).to.equal(true);
      expect(err.message).to.include("scale stage resume").and.include("scale stage abort");
      expect(rig.current).to.equal("source");
      expect((await rig.source.sql("SELECT @@read_only")).trim(), "the source is unfrozen").to.equal("0");
      const before = rig.acked.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(rig.acked.length, "the application writes to the source again").to.be.greaterThan(before);
      const record = records.find((r) => r.kind === "move.data.interrupted");
      expect(record).to.include({ step: at, serving: "source" });
      expect(String(record?.next)).to.include("scale stage resume");

      // A fresh move refuses to start over the interrupted one.
      const refused = await moveData(options(journal)).catch((e: Error) => e);
      expect(refused).to.be.instanceOf(MoveInProgress);
      expect((refused as Error).message).to.include(`stopped at step ${at}`);

      await finishAndCheck(journal);
    });
  }

  it("a switch that fails before any write reaches the target falls back to the source; resume finishes", async () => {
    const journal = journalAt([]);
    let failures = 1;
    const err = await interrupted(
      moveData(
        options(journal, {
          switchServers: async () => {
            if (failures-- > 0) throw new Error("SSM command timed out");
            await rig.switchServers();
          },
        }),
      ),
    );
    expect(err).to.include({ step: "switch", serving: "source" });
    expect((await rig.source.sql("SELECT @@read_only")).trim()).to.equal("0");
    expect((await rig.target.sql("SELECT @@read_only")).trim(), "the target refuses stray writes again").to.equal("1");
    await finishAndCheck(journal);
  });

  it("a failed check after the switch leaves the service on the target; resume checks again and finishes", async () => {
    const journal = journalAt([]);
    let failures = 1;
    const err = await interrupted(
      moveData(
        options(journal, {
          checkServing: async () => {
            if (failures-- > 0) throw new Error("the endpoint answered 502");
            await rig.checkServing();
          },
        }),
      ),
    );
    expect(err).to.include({ step: "check-serving", serving: "target" });
    expect(rig.current).to.equal("target");
    const refused = await abortDataMove({ source: rig.source.url, target: rig.target.url, journal }).catch((e: Error) => e);
    expect((refused as Error).message).to.include("switched the servers to the target already");
    await finishAndCheck(journal);
  });

  it("a target that differs from the frozen source fails verify, unfreezes the source, and abort cleans the target", async () => {
    const journal = journalAt([]);
    const err = await interrupted(
      moveData(
        options(journal, {
          // A row only the target has (written past replication): the checksums must catch it.
          onStep: (s) => {
            if (s.name === "freeze" && s.status === "running")
              void rig.target.sql("SET SESSION sql_log_bin = 0; INSERT INTO items VALUES ('stray', 'u1', 'x', 1, 0, 0)", "app");
          },
        }),
      ),
    );
    expect(err.step).to.equal("verify");
    expect(err.message).to.match(/items \(\d+ vs \d+ rows/);
    expect((await rig.source.sql("SELECT @@read_only")).trim()).to.equal("0");

    const aborted = await abortDataMove({ source: rig.source.url, target: rig.target.url, journal });
    expect(aborted.removed).to.equal("database app");
    expect((await rig.target.sql("SHOW DATABASES LIKE 'app'")).trim()).to.equal("");
    expect((await rig.target.sql("SHOW SLAVE STATUS")).trim()).to.equal("");
    expect((await rig.source.sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'scale_move'")).trim()).to.equal("0");
    expect(journal.state.load()?.phase).to.equal("aborted");
    await rig.stopWriter();
    expect(await rig.missingOn("source")).to.deep.equal([]);

    // After an abort a new move starts from scratch and succeeds.
    rig.acked = [];
    const again = await moveData(options(journal));
    expect(again.resumed).to.equal(false);
  });
});
