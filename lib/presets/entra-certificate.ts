import * as z from "zod/mini";
import { connectionBase, upstreamUrl } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("entra-certificate"),
  ...connectionBase,
  /** Directory (tenant) id or domain. */
  tenantId: z.string().check(z.regex(/^[A-Za-z0-9.-]{1,128}$/, "a tenant id or domain")),
  scope: z._default(text(1), "https://graph.microsoft.com/.default"),
  authority: z._default(upstreamUrl, "https://login.microsoftonline.com"),
  algorithm: z._default(z.enum(["RS256", "PS256"]), "RS256"),
  skewSeconds: z.optional(intRange(0, 3600)),
  prewarm: z.optional(z.boolean()),
});

/**
 * Microsoft Entra ID client credentials with a certificate: a client assertion (private_key_jwt:
 * iss = sub = client id, aud = the v2.0 token endpoint, jti, nbf, short exp) whose header carries
 * the certificate's `x5t#S256` and `x5t` thumbprints, for `{scope}` (a resource's /.default).
 * Secret fields: clientId, privateKey, certificate (PEM).
 */
export const entraCertificatePreset: PresetDefinition<typeof schema> = {
  name: "entra-certificate",
  reference: "Microsoft identity platform: certificate credentials",
  schema,
  expand: ({ tenantId, authority, algorithm, ...options }) => ({
    ...commonFields(options),
    scheme: "oauth2-client-credentials",
    tokenUrl: `${authority.replace(/\/+$/, "")}/${tenantId}/oauth2/v2.0/token`,
    clientAuth: {
      method: "private_key_jwt",
      algorithm,
      privateKeyField: "privateKey",
      certificateField: "certificate",
    },
  }),
};
