import { describeContract } from "./contract.shared.ts";

// The shared MariaDB (a database of its own) and Redis (a key prefix of its own).
describeContract("servers");
// MariaDB alone, as at stages 0-2.
describeContract("servers", { redis: false });
