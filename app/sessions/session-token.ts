/** Session tokens: 256 random bits, handed to the client once; stores keep only their sha256. */
import { createHash, randomBytes } from "node:crypto";

export const newToken = () => randomBytes(32).toString("base64url");
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
/** A well-formed token (43 base64url chars); anything else is refused without a store lookup. */
export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);
