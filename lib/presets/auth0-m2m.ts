import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z
  .strictObject({
    preset: z.literal("auth0-m2m"),
    ...connectionBase,
    /** The tenant's domain, e.g. acme.eu.auth0.com (or a custom domain). */
    domain: z.optional(z.string().check(z.regex(/^[A-Za-z0-9.-]+$/, "a host name"))),
    /** Instead of domain: the token endpoint itself. */
    tokenUrl: z.optional(upstreamUrl),
    /** The API identifier the token is for. */
    audience: text(1),
    scope: z.optional(text(1)),
    skewSeconds: z.optional(intRange(0, 3600)),
    prewarm: z.optional(z.boolean()),
  })
  .check(
    z.refine((o) => (o.domain === undefined) !== (o.tokenUrl === undefined), {
      message: "set exactly one of domain or tokenUrl",
      path: ["domain"],
    }),
  );

/**
 * Auth0 machine-to-machine: client_credentials at https://{domain}/oauth/token with the API's
 * `audience`, client id and secret in the body. Secret fields: clientId, clientSecret.
 */
export const auth0M2mPreset: PresetDefinition<typeof schema> = {
  name: "auth0-m2m",
  reference: "Auth0: Client Credentials Flow",
  schema,
  expand: ({ domain, tokenUrl, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl: tokenUrl ?? `https://${domain}/oauth/token`,
    clientAuth: { method: "client_secret_post" },
  }),
};
