/**
 * The Pulumi program's entry point (Pulumi.yaml's `main`): reads this stack's config, validates it before anything
 * is registered, builds the stage and exports the outputs the CLI reads.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./config.ts";
import { buildStack } from "./program.ts";

const outputs = buildStack(parseStackConfig(pulumi.runtime.allConfig()));

export const stage = outputs.stage;
export const endpoint = outputs.endpoint;
export const databaseEndpoint = outputs.databaseEndpoint;
export const replicaEndpoints = outputs.replicaEndpoints;
export const cacheEndpoint = outputs.cacheEndpoint;
export const singleBoxIp = outputs.singleBoxIp;
export const staticBucket = outputs.staticBucket;
export const queueUrl = outputs.queueUrl;
export const alertTopicArn = outputs.alertTopicArn;
export const rollout = outputs.rollout;
