import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { clientAuth } from "../schemes/oauth2-client-credentials.schema.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z
  .strictObject({
    preset: z.literal("tokenos"),
    ...connectionBase,
    /** Ory project URL, e.g. https://your-project.projects.oryapis.com (token URL is /oauth2/token). */
    projectUrl: z.optional(upstreamUrl),
    tokenUrl: z.optional(upstreamUrl),
    scope: z.optional(z.union([text(1), z.array(text(1)).check(z.minLength(1))])),
    /**
     * A method name, or the generic scheme's full object for options: TokenOS says only "a JWT
     * signed by its cryptographic key", so private_key_jwt takes any asymmetric algorithm and a kid.
     */
    clientAuth: z._default(
      z.union([
        z.enum(["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]),
        clientAuth,
      ]),
      "client_secret_basic",
    ),
    skewSeconds: z.optional(intRange(0, 3600)),
    prewarm: z.optional(z.boolean()),
  })
  .check(
    z.refine((o) => (o.projectUrl === undefined) !== (o.tokenUrl === undefined), {
      message: "set exactly one of projectUrl or tokenUrl",
      path: ["projectUrl"],
    }),
  );

/**
 * TokenOS / Ory OAuth2: client_credentials at {project}/oauth2/token with HTTP Basic
 * (URL-encoded id and secret), body, client_secret_jwt or private_key_jwt (any asymmetric
 * algorithm, optional kid) client authentication. Secret fields: clientId, clientSecret (or
 * privateKey for private_key_jwt).
 */
export const tokenosPreset: PresetDefinition<typeof schema> = {
  name: "tokenos",
  reference: "TokenOS: Authentication",
  schema,
  expand: ({ projectUrl, tokenUrl, clientAuth, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl: tokenUrl ?? `${(projectUrl as string).replace(/\/+$/, "")}/oauth2/token`,
    clientAuth: typeof clientAuth === "string" ? { method: clientAuth } : clientAuth,
  }),
};
