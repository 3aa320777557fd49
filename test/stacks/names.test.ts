import { expect } from "chai";
import { checkPhysicalName, physicalName, stackOfUrn, stackPrefix } from "../../stacks/names.ts";

describe("stacks/names: physical names derive from the stack", () => {
  it("makes a prefix AWS accepts from any stack name", () => {
    expect(stackPrefix("prod")).to.equal("prod");
    expect(stackPrefix("Team/Prod_EU")).to.equal("team-prod-eu");
    expect(stackPrefix("2024")).to.equal("s2024");
    expect(physicalName("prod", "db")).to.equal("prod-db");
  });

  it("keeps two long stack names apart after shortening them", () => {
    const a = stackPrefix("customer-analytics-production-eu-west-1");
    const b = stackPrefix("customer-analytics-production-us-east-1");
    expect(a).to.have.length.at.most(20);
    expect(a).not.to.equal(b);
    expect(() => checkPhysicalName("x", `${a}-primary-final`, 63)).not.to.throw();
  });

  it("reads the stack from a URN, and refuses names RDS or ElastiCache would", () => {
    expect(stackOfUrn("urn:pulumi:prod::scale-to-millions::scale:aws:Database$aws:rds/instance:Instance::db-primary")).to.equal("prod");
    for (const bad of ["1db", "db--primary", "db-", "DB", "db_primary", ""]) expect(() => checkPhysicalName("f", bad, 63), bad).to.throw(/f must be 1-63/);
    expect(() => checkPhysicalName("f", "a".repeat(41), 40)).to.throw(/1-40/);
  });
});
