import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z
  .strictObject({
    preset: z.literal("tokenos"),
    ...connectionBase,
    /** Ory project URL, e.g. https://your-project.projects.oryapis.com (token URL is /oauth2/token). */
    projectUrl: z.optional(upstreamUrl),
    tokenUrl: z.optional(upstreamUrl),
    scope: z.optional(z.union([text(1), z.array(text(1)).check(z.minLength(1))])),
    clientAuth: z._default(
      z.enum(["client_secret_basic", "client_secret_post", "private_key_jwt"]),
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
 * TokenOS / Ory OAuth2 (seed 001): client_credentials at {project}/oauth2/token with HTTP Basic
 * (URL-encoded id and secret), body, or private_key_jwt client authentication. Secret fields:
 * clientId, clientSecret (or privateKey for private_key_jwt).
 */
export const tokenosPreset: PresetDefinition<typeof schema> = {
  name: "tokenos",
  reference: "seeds/001 TokenOS: Authentication",
  schema,
  expand: ({ projectUrl, tokenUrl, clientAuth, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl: tokenUrl ?? `${(projectUrl as string).replace(/\/+$/, "")}/oauth2/token`,
    clientAuth: { method: clientAuth },
  }),
};
