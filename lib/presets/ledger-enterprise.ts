import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("ledger-enterprise"),
  ...connectionBase,
  /** $API_BASE_URL; the broker calls {baseUrl}/auth/token and {baseUrl}/auth/token/refresh. */
  baseUrl: upstreamUrl,
  workspace: text(1),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * Ledger Enterprise: exchange {workspace, apiKeyId, apiKeySecret} for a 300 s access
 * token and an 1800 s refresh token; refresh with {workspace, refreshToken}. Secret fields:
 * apiKeyId, apiKeySecret.
 */
export const ledgerEnterprisePreset: PresetDefinition<typeof schema> = {
  name: "ledger-enterprise",
  reference: "Ledger Enterprise: Authentication",
  schema,
  expand: ({ baseUrl, workspace, ...options }) => {
    const base = baseUrl.replace(/\/+$/, "");
    return {
      ...commonFields(options),
      scheme: "token-exchange",
      exchange: {
        url: `${base}/auth/token`,
        body: { workspace, apiKeyId: "{{secret.apiKeyId}}", apiKeySecret: "{{secret.apiKeySecret}}" },
      },
      refresh: { url: `${base}/auth/token/refresh`, body: { workspace, refreshToken: "{{refreshToken}}" } },
      response: {
        accessToken: "accessToken",
        expiresIn: "expiresInSeconds",
        refreshToken: "refreshToken",
        refreshExpiresIn: "refreshExpiresInSeconds",
      },
      headers: { Authorization: "Bearer {{token}}" },
    };
  },
};
