import { renderHeaders } from "./render-headers.ts";
import type { SchemeDefinition } from "./scheme.ts";
import type { StaticConfig } from "./static.schema.ts";

/** Headers built straight from secret fields (API keys, long-lived bearer tokens; Jet Admin's bearer token, for one). */
export const staticScheme = {
  name: "static" as const,
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
} satisfies SchemeDefinition<StaticConfig>;
