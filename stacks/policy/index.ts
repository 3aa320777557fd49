// The policy pack for `pulumi preview --policy-pack stacks/policy`. Only the Pulumi CLI loads this file:
// constructing a PolicyPack starts a gRPC server (tests evaluate POLICIES from rules.ts directly).
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./rules.ts";

new PolicyPack("scale-to-millions-security", { policies: [...POLICIES] });
