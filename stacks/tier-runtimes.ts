/**
 * Each compute tier's runtime, from the runtime contract: the servers are registered before the database and cache
 * they use (whose security groups admit them), so each tier takes a deferred runtime that `fill` completes once the
 * stage's facts exist. The same facts give the plan's form (URNs) and the servers' form (values and ARNs).
 */
import * as pulumi from "@pulumi/pulumi";
import { tierRuntime, type RuntimeFacts, type TierProfile } from "../runtime/settings.ts";
import type { Tier, TierRuntime } from "../runtime/sources.ts";

/** The deferred runtimes of a stage's tiers. */
export class TierRuntimes {
  private readonly profiles: TierProfile[] = [];
  private readonly setters = new Map<Tier, (value: pulumi.Output<TierRuntime>) => void>();

  /** The runtime `profile.tier` will get (server form), for its user data and its role's secret grants. */
  slot(profile: TierProfile): pulumi.Output<TierRuntime> {
    if (this.setters.has(profile.tier)) throw new Error(`the ${profile.tier} tier has a runtime already`);
    const [runtime, set] = pulumi.deferredOutput<TierRuntime>();
    this.profiles.push(profile);
    this.setters.set(profile.tier, set);
    return runtime;
  }

  /** Completes every slot from the stage's facts; returns the plan's form, one entry per tier in slot order. */
  fill(facts: pulumi.Output<RuntimeFacts>): pulumi.Output<TierRuntime[]> {
    for (const profile of this.profiles) this.setters.get(profile.tier)!(facts.apply((f) => tierRuntime(profile, f, "server")));
    return facts.apply((f) => this.profiles.map((profile) => tierRuntime(profile, f, "plan")));
  }
}
