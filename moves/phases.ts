/**
 * A stage move's phases, from the changes between two plans: expand (what is new or changes, but not the edge:
 * DNS, CloudFront, the load balancer's listeners), move data, check the new tier, switch the edge, contract (lift
 * what keeps the leavers alive: `protect` on retained stateful resources, the ALB's deletion protection; then the
 * full update deletes). Shared by the AWS and local targets; pure.
 */
import { isDeletionProtected, type ResourceView } from "../stacks/stateful.ts";

export interface PhaseChange {
  urn: string;
  type: string;
  action: "create" | "delete" | "update" | "replace";
  stateful: boolean;
}

/** Where users enter: switched only once the tier behind it answers. */
export const EDGE_TYPES: readonly string[] = [
  "aws:route53/record:Record",
  "aws:cloudfront/distribution:Distribution",
  "aws:lb/listener:Listener",
  "aws:lb/listenerRule:ListenerRule",
];

export interface MovePhases {
  /** The first, targeted update: everything new or changed except the edge and the removals. */
  expand: string[];
  /** Edge changes, applied after the new tier answers (with expand, in a second targeted update). */
  edge: string[];
  /** Protected stateful resources the move drops (retainOnDelete: AWS keeps them): unprotected just before the delete. */
  release: string[];
  /** Resources AWS refuses to delete until their deletion protection is lifted (the ALB on 2 -> 1). */
  liftProtection: string[];
  /** Anything to delete: the contract phase's full update. */
  removes: boolean;
  /** 0 -> 1 and 1 -> 0 move the primary database's data between the box and RDS. */
  movesData: boolean;
}

export function planPhases(changes: PhaseChange[], from: { stage: number; resources: Array<ResourceView & { urn: string }> }, to: { stage: number }): MovePhases {
  const isEdge = (c: PhaseChange) => EDGE_TYPES.includes(c.type);
  const leaving = changes.filter((c) => c.action === "delete");
  const byUrn = new Map(from.resources.map((r) => [r.urn, r]));
  return {
    expand: changes.filter((c) => c.action !== "delete" && !isEdge(c)).map((c) => c.urn),
    edge: changes.filter((c) => c.action !== "delete" && isEdge(c)).map((c) => c.urn),
    release: leaving.filter((c) => c.stateful).map((c) => c.urn),
    liftProtection: leaving.filter((c) => {
      const r = byUrn.get(c.urn);
      return r !== undefined && isDeletionProtected(r);
    }).map((c) => c.urn),
    removes: leaving.length > 0,
    movesData: (from.stage === 0 && to.stage === 1) || (from.stage === 1 && to.stage === 0),
  };
}
