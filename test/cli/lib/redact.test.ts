import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { redact, redactString } from "../../../cli/lib/redact.ts";
import { openAudit, readAudit } from "../../../cli/lib/audit.ts";
import { tempDir } from "../../support/tmp.ts";

describe("secrets stay out of the audit log", () => {
  it("masks passwords in connection URLs wherever they appear", () => {
    expect(redactString("copy mysql://app:hunter2@db:3306/app to redis://:tok3n@cache:6379"))
      .to.equal("copy mysql://app:[redacted]@db:3306/app to redis://:[redacted]@cache:6379");
    expect(redactString("mysql://app@db/app")).to.equal("mysql://app@db/app");
  });

  it("drops values under secret-looking keys, at any depth", () => {
    expect(redact({ MasterUserPassword: "p", nested: [{ authToken: "t", name: "ok" }], apiKey: "k" })).to.deep.equal({
      MasterUserPassword: "[redacted]",
      nested: [{ authToken: "[redacted]", name: "ok" }],
      apiKey: "[redacted]",
    });
  });

  it("the audit sink redacts what it writes and reads back every line", () => {
    const path = join(tempDir("scale-audit"), "a.jsonl");
    const audit = openAudit(path, "ops");
    audit.record({ kind: "test", url: "mysql://root:s3cret@h/db", password: "s3cret" });
    audit.record({ kind: "test2" });
    expect(readFileSync(path, "utf8")).not.to.include("s3cret");
    const entries = readAudit(path);
    expect(entries.map((e) => e.kind)).to.deep.equal(["test", "test2"]);
    expect(entries[0]).to.include({ who: "ops" });
  });
});
