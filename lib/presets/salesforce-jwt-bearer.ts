import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { JWT_BEARER } from "../schemes/oauth2-client-credentials.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("salesforce-jwt-bearer"),
  ...connectionBase,
  /** The user the app acts as (the assertion's `sub`). */
  username: text(1),
  /** https://login.salesforce.com, https://test.salesforce.com, or the org's My Domain. */
  loginUrl: z._default(upstreamUrl, "https://login.salesforce.com"),
  /** Salesforce sends no expires_in: the org's session timeout (default 15 minutes). */
  sessionLifetimeSeconds: z._default(intRange(60, 86_400), 900),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * Salesforce OAuth 2.0 JWT bearer flow: an RS256 assertion {iss: consumer key, sub: username,
 * aud: login URL, exp <= 3 minutes} posted with the JWT-bearer grant to
 * {loginUrl}/services/oauth2/token, no client authentication. Secret fields: clientId (the connected
 * app's consumer key), privateKey.
 */
export const salesforceJwtBearerPreset: PresetDefinition<typeof schema> = {
  name: "salesforce-jwt-bearer",
  reference: "Salesforce: OAuth 2.0 JWT bearer flow for server-to-server integration",
  schema,
  expand: ({ username, loginUrl, sessionLifetimeSeconds, ...options }) => {
    const audience = loginUrl.replace(/\/+$/, "");
    return {
      ...commonFields(options),
      scheme: "oauth2-client-credentials",
      tokenUrl: `${audience}/services/oauth2/token`,
      grantType: JWT_BEARER,
      clientAuth: { method: "none" },
      assertion: {
        algorithm: "RS256",
        key: { field: "privateKey" },
        claims: { iss: "{{secret.clientId}}", sub: username, aud: audience },
        expiresInSeconds: 180,
      },
      defaultExpiresInSeconds: sessionLifetimeSeconds,
    };
  },
};
