import { expect } from "chai";
import { maskParams, maskSecret, scrubber } from "../../../runbooks/lib/mask.ts";
import { migrateBoxToRds } from "../../../runbooks/migrate-box-to-rds.ts";

describe("masking secret parameters", () => {
  it("keeps a URL's host and database and hides only the password", () => {
    expect(maskSecret("mysql://app:s3cr3t@db.internal:3306/app")).to.equal("mysql://app:[redacted]@db.internal:3306/app");
    expect(maskSecret("rediss://:tok3n@cache.internal:6379")).to.equal("rediss://:[redacted]@cache.internal:6379");
    expect(maskSecret("mysql://root@127.0.0.1:3306/app")).to.equal("mysql://root@127.0.0.1:3306/app");
    expect(maskSecret("https://h/x?token=abc&page=2")).to.equal("https://h/x?token=[redacted]&page=2");
  });

  it("a secret that is not a URL is [secret]", () => {
    expect(maskSecret("hunter2")).to.equal("[secret]");
  });

  it("the audit's params and any text mentioning a secret URL keep the host and lose the password", () => {
    const params = { source: "mysql://app:pw1@box:3306/app", target: "mysql://app:pw2@rds.example:3306/app", direction: "to-rds", batch: "1000" };
    expect(maskParams(migrateBoxToRds, params)).to.deep.equal({
      source: "mysql://app:[redacted]@box:3306/app",
      target: "mysql://app:[redacted]@rds.example:3306/app",
      direction: "to-rds",
      batch: "1000",
    });
    const scrub = scrubber(migrateBoxToRds, params);
    expect(scrub("cannot connect to mysql://app:pw2@rds.example:3306/app")).to.equal("cannot connect to mysql://app:[redacted]@rds.example:3306/app");
  });
});
