import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { JWT_BEARER } from "../schemes/oauth2-client-credentials.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("google-service-account"),
  ...connectionBase,
  scopes: z.array(text(1)).check(z.minLength(1)),
  /** Domain-wide delegation: the user to act as (the assertion's `sub`). */
  subject: z.optional(text(1)),
  /** The key file's token_uri. */
  tokenUri: z._default(upstreamUrl, "https://oauth2.googleapis.com/token"),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * Google service accounts (OAuth 2.0 for server to server): an RS256 assertion {iss: client_email,
 * scope, aud: token_uri, iat, exp <= 1 h, sub?} with `kid` = private_key_id, exchanged with the
 * JWT-bearer grant and no client authentication for a one-hour access token. Secret: the service
 * account key file itself (its fields client_email, private_key, private_key_id).
 */
export const googleServiceAccountPreset: PresetDefinition<typeof schema> = {
  name: "google-service-account",
  reference: "Google: using OAuth 2.0 for server to server applications",
  schema,
  expand: ({ scopes, subject, tokenUri, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl: tokenUri,
    grantType: JWT_BEARER,
    clientAuth: { method: "none" },
    assertion: {
      algorithm: "RS256",
      key: { field: "private_key" },
      header: { kid: "{{secret.private_key_id}}" },
      claims: {
        iss: "{{secret.client_email}}",
        scope: scopes.join(" "),
        aud: tokenUri,
        ...(subject ? { sub: subject } : {}),
      },
      expiresInSeconds: 3600,
    },
  }),
};
