import { describeContract } from "./contract.shared.ts";

describeContract("embedded");
