/** The Hono context variables the middleware sets for handlers. */
import type { Logger } from "pino";
import type { Session } from "../ports.ts";

export interface AppEnv {
  Variables: {
    requestId: string;
    /** The service logger; use requestLog(c) for one bound to the request id. */
    logger: Logger;
    requestLog: Logger | undefined;
    /** Set by requireSession (always) and optionalSession (when a valid token came). */
    session: Session | null;
  };
}
