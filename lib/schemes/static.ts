import * as z from "zod/mini";
import { connectionBase, headerTemplates } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";
import { renderHeaders } from "./render-headers.ts";
import type { SchemeDefinition } from "./scheme.ts";

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

/** Headers built straight from secret fields (API keys, long-lived bearer tokens; seed 003). */
export const staticScheme: SchemeDefinition<typeof schema> = {
  name: "static",
  schema,
  create(config) {
    return {
      kind: "minted",
      async mint({ secret, now }) {
        return {
          headers: renderHeaders(config.headers, secret),
          expiresAt: now() + config.lifetimeSeconds * 1000,
        };
      },
    };
  },
};
