/** Validate a JSON body with zod; every failure is a 4xx naming the field (malformed JSON is Hono's 400). */
import { validator } from "hono/validator";
import type { z } from "zod";
import { AppError } from "./problem.ts";

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`).join("; ");
}

export const jsonBody = <S extends z.ZodType>(schema: S) =>
  validator("json", (value, c) => {
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new AppError(415, "unsupported-media-type", "send the body as JSON with Content-Type: application/json");
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new AppError(400, "invalid-body", describeIssues(parsed.error));
    return parsed.data as z.infer<S>;
  });
