/**
 * The service's read seam (ports.ts `ReadRouter`: `forRead({ session })`) over a ReplicaRouter: the
 * session's last write position goes along, so its reads see its writes. Typed by shape so it plugs
 * into the port without this folder depending on the features.
 */
import type { Kysely } from "kysely";
import type { ReplicaRouter } from "./replicas.ts";

export interface SessionReadContext {
  session: { lastWriteGtid: string | null } | null;
}

export interface SessionReadRouter<DB> {
  forRead(ctx: SessionReadContext): Promise<Kysely<DB>>;
  close(): Promise<void>;
}

export function sessionReadRouter<DB>(router: ReplicaRouter<DB>): SessionReadRouter<DB> {
  return {
    forRead: (ctx) => router.forRead({ gtid: ctx.session?.lastWriteGtid }),
    close: () => router.close(),
  };
}
