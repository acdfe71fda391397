import * as z from "zod/mini";
import { connectionBase } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("app-store-connect"),
  ...connectionBase,
  /** The issuer id from App Store Connect (Users and Access, Integrations). */
  issuerId: text(1, 64),
  /** The API key's id (the JWT's `kid`). */
  keyId: text(1, 32),
  /** Token lifetime; Apple accepts at most 20 minutes. */
  lifetimeSeconds: z._default(intRange(60, 1200), 1200),
});

/**
 * App Store Connect API: an ES256 JWT {iss: issuer id, iat, exp <= 20 min, aud:
 * "appstoreconnect-v1"} with `kid` = key id, sent as a Bearer token. Apple allows reuse until it
 * expires, so the broker keeps it until a minute before `exp` (opt-in reuse of the generic scheme).
 * Secret field: privateKey (the .p8 file, PKCS#8 PEM).
 */
export const appStoreConnectPreset: PresetDefinition<typeof schema> = {
  name: "app-store-connect",
  reference: "App Store Connect API: generating tokens for API requests",
  schema,
  expand: ({ issuerId, keyId, lifetimeSeconds, ...options }) => ({
    ...commonFields(options),
    scheme: "signed-jwt",
    jwt: {
      algorithm: "ES256",
      key: { field: "privateKey" },
      header: { kid: keyId },
      claims: { iss: issuerId, aud: "appstoreconnect-v1" },
      expiresInSeconds: lifetimeSeconds,
    },
    headers: { Authorization: "Bearer {{jwt}}" },
    reuse: true,
    reuseSkewSeconds: 60,
  }),
};
