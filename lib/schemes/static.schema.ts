import * as z from "zod/mini";
import { connectionBase, headerTemplates } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";
import type { SchemeSchema } from "./scheme.ts";

const schema = z.strictObject({
  scheme: z.literal("static"),
  ...connectionBase,
  /** e.g. {"Authorization": "Bearer {{secret.token}}"} or {"x-api-key": "{{secret.apiKey}}"}. */
  headers: headerTemplates(["secret"]),
  /**
   * How long a caller may reuse the headers before asking again. Static credentials do not expire,
   * but they do rotate; this bounds how long a rotated-out key stays in a frontend.
   */
  lifetimeSeconds: z._default(intRange(1, 86_400), 300),
});
export type StaticConfig = z.output<typeof schema>;

export const staticSchema: SchemeSchema<typeof schema> = { name: "static", schema };
