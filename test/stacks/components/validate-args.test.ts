import { expect } from "chai";
import { validateAppTierArgs, type AppTierArgs } from "../../../stacks/components/app-tier.ts";
import { validateCacheArgs, type CacheArgs } from "../../../stacks/components/cache.ts";
import { validateDatabaseArgs, type DatabaseArgs } from "../../../stacks/components/database.ts";
import { validateNetworkArgs } from "../../../stacks/components/network.ts";
import { validatePrivateBucketArgs } from "../../../stacks/components/private-bucket.ts";
import { validateSingleBoxArgs, type SingleBoxArgs } from "../../../stacks/components/single-box.ts";
import { validateWarehouseArgs, type WarehouseArgs } from "../../../stacks/components/warehouse.ts";

// Each component checks its own arguments before registering anything; these run without Pulumi's runtime.
describe("stacks/components: argument validation", () => {
  const cases: [string, () => void, RegExp][] = [
    ["Network azCount", () => validateNetworkArgs({ azCount: 0, s3BucketArns: [] }), /Network azCount must be 1-6, got 0/],
    ["Database subnets", () => validateDatabaseArgs({ subnetIds: ["a"] } as DatabaseArgs), /needs subnets in 2 AZs, got 1/],
    ["Database replicaCount", () => validateDatabaseArgs({ subnetIds: ["a", "b"], replicaCount: 9 } as DatabaseArgs), /replicaCount must be 0-5, got 9/],
    ["Cache nodeCount", () => validateCacheArgs({ nodeCount: 1 } as CacheArgs), /nodeCount must be 2-6 for Multi-AZ failover, got 1/],
    ["AppTier capacity", () => validateAppTierArgs({ tier: "read", subnetIds: ["a", "b"], capacity: { min: 3, max: 2, desired: 2 } } as AppTierArgs), /read capacity needs min <= desired <= max, got 3\/2\/2/],
    ["AppTier subnets", () => validateAppTierArgs({ tier: "write", subnetIds: ["a"], capacity: { min: 1, max: 2, desired: 1 } } as AppTierArgs), /write subnetIds needs 2 AZs/],
    ["PrivateBucket transition", () => validatePrivateBucketArgs({ purpose: "x", transitionAfterDays: 0 }), /transitionAfterDays must be a positive integer, got 0/],
    ["SingleBox SSH from anywhere", () => validateSingleBoxArgs({ sshAllowlist: ["0.0.0.0/0"] } as unknown as SingleBoxArgs), /sshAllowlist must not contain 0.0.0.0\/0/],
    ["Warehouse capacity", () => validateWarehouseArgs({ baseCapacity: 12 } as WarehouseArgs), /multiple of 8 from 8, got 12/],
  ];
  for (const [what, call, message] of cases) {
    it(`refuses a bad ${what}`, () => expect(call).to.throw(Error, message));
  }

  it("accepts good arguments", () => {
    expect(() => validateNetworkArgs({ azCount: 3, s3BucketArns: [] })).not.to.throw();
    expect(() => validateDatabaseArgs({ subnetIds: ["a", "b"], replicaCount: 2 } as DatabaseArgs)).not.to.throw();
    expect(() => validateSingleBoxArgs({ sshAllowlist: ["203.0.113.7/32"] } as unknown as SingleBoxArgs)).not.to.throw();
  });
});
