import { expect } from "chai";
import { validateAppTierArgs, type AppTierArgs } from "../../../stacks/components/app-tier.ts";
import { validateCacheArgs, type CacheArgs } from "../../../stacks/components/cache.ts";
import { validateCdnArgs, type CdnArgs } from "../../../stacks/components/cdn.ts";
import { validateMonitoringArgs, type MonitoringArgs } from "../../../stacks/components/monitoring.ts";
import { validateDatabaseArgs, type DatabaseArgs } from "../../../stacks/components/database.ts";
import { validateNetworkArgs } from "../../../stacks/components/network.ts";
import { validatePrivateBucketArgs } from "../../../stacks/components/private-bucket.ts";
import { validateSingleBoxArgs, type SingleBoxArgs } from "../../../stacks/components/single-box.ts";
import { validateWarehouseArgs, type WarehouseArgs } from "../../../stacks/components/warehouse.ts";

// Each component checks its own arguments before registering anything; these run without Pulumi's runtime.
describe("stacks/components: argument validation", () => {
  const cases: [string, () => void, RegExp][] = [
    ["Network azCount", () => validateNetworkArgs({ azCount: 0, s3BucketArns: [] }), /Network azCount must be 1-6, got 0/],
    ["Database subnets", () => validateDatabaseArgs({ identifier: "prod-db", subnetIds: ["a"] } as DatabaseArgs), /needs subnets in 2 AZs, got 1/],
    ["Database replicaCount", () => validateDatabaseArgs({ identifier: "prod-db", subnetIds: ["a", "b"], replicaCount: 9 } as DatabaseArgs), /replicaCount must be 0-5, got 9/],
    ["Database identifier", () => validateDatabaseArgs({ identifier: "Prod_DB", subnetIds: ["a", "b"] } as DatabaseArgs), /Database identifier must be 1-49 lower-case letters/],
    ["Database identifier too long for its final snapshot", () => validateDatabaseArgs({ identifier: `p${"x".repeat(49)}`, subnetIds: ["a", "b"] } as DatabaseArgs), /1-49/],
    ["Cache nodeCount", () => validateCacheArgs({ replicationGroupId: "prod-cache", nodeCount: 1 } as CacheArgs), /nodeCount must be 2-6 for Multi-AZ failover, got 1/],
    ["Cache replicationGroupId", () => validateCacheArgs({ replicationGroupId: `a${"b".repeat(40)}` } as CacheArgs), /replicationGroupId must be 1-40/],
    ["Cdn origin port", () => validateCdnArgs({ app: { domainName: "x", protocol: "http", port: 443 } } as CdnArgs), /app.port must be 80 or 1024-65535/],
    ["Monitoring cache alarms without nodes", () => validateMonitoringArgs({ dashboardName: "prod-overview", cache: { nodeIds: [] } } as unknown as MonitoringArgs), /cache.nodeIds must name the cache's nodes/],
    ["Monitoring dashboardName", () => validateMonitoringArgs({ dashboardName: "prod overview", cache: { nodeIds: ["n"] } } as unknown as MonitoringArgs), /dashboardName must be/],
    ["AppTier capacity", () => validateAppTierArgs({ tier: "read", subnetIds: ["a", "b"], capacity: { min: 3, max: 2, desired: 2 } } as AppTierArgs), /read capacity needs min <= desired <= max, got 3\/2\/2/],
    ["AppTier subnets", () => validateAppTierArgs({ tier: "write", subnetIds: ["a"], capacity: { min: 1, max: 2, desired: 1 } } as AppTierArgs), /write subnetIds needs 2 AZs/],
    ["PrivateBucket transition", () => validatePrivateBucketArgs({ purpose: "x", transitionAfterDays: 0 }), /transitionAfterDays must be a positive integer, got 0/],
    ["PrivateBucket Standard-IA before 30 days", () => validatePrivateBucketArgs({ purpose: "x", transitionAfterDays: 29, transitionStorageClass: "STANDARD_IA" }), /30 or more for STANDARD_IA .*got 29/],
    ["PrivateBucket log delivery under KMS", () => validatePrivateBucketArgs({ purpose: "x", elbLogDeliveryArn: "arn:aws:iam::127311923021:root" }), /encryption must be "s3"/],
    ["SingleBox SSH from anywhere", () => validateSingleBoxArgs({ sshAllowlist: ["0.0.0.0/0"] } as unknown as SingleBoxArgs), /sshAllowlist must not contain 0.0.0.0\/0/],
    ["Warehouse capacity", () => validateWarehouseArgs({ physicalName: "prod-warehouse", subnetIds: ["a", "b", "c"], baseCapacity: 12 } as WarehouseArgs), /multiple of 8 from 8, got 12/],
    ["Warehouse in 2 AZs", () => validateWarehouseArgs({ physicalName: "prod-warehouse", subnetIds: ["a", "b"] } as WarehouseArgs), /needs subnets in 3 AZs .*got 2/],
    ["Warehouse name", () => validateWarehouseArgs({ physicalName: "-warehouse", subnetIds: ["a", "b", "c"] } as WarehouseArgs), /physicalName must be/],
  ];
  for (const [what, call, message] of cases) {
    it(`refuses a bad ${what}`, () => expect(call).to.throw(Error, message));
  }

  it("accepts good arguments", () => {
    expect(() => validateNetworkArgs({ azCount: 3, s3BucketArns: [] })).not.to.throw();
    expect(() => validateDatabaseArgs({ identifier: "prod-db", subnetIds: ["a", "b"], replicaCount: 2 } as DatabaseArgs)).not.to.throw();
    expect(() => validatePrivateBucketArgs({ purpose: "x", transitionAfterDays: 30, transitionStorageClass: "STANDARD_IA" })).not.to.throw();
    expect(() => validatePrivateBucketArgs({ purpose: "x", transitionAfterDays: 1, transitionStorageClass: "GLACIER_IR" })).not.to.throw();
    expect(() => validateWarehouseArgs({ physicalName: "prod-warehouse", subnetIds: ["a", "b", "c"] } as WarehouseArgs)).not.to.throw();
    expect(() => validateSingleBoxArgs({ sshAllowlist: ["203.0.113.7/32"] } as unknown as SingleBoxArgs)).not.to.throw();
  });
});
