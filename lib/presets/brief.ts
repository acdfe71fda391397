import * as z from "zod/mini";
import { connectionBase } from "../config/common.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("brief"),
  ...connectionBase,
});

/**
 * Brief's JWT bearer: `Authorization: Bearer <JWT {clientId, iat}>` signed HS256 with the team's
 * secret key. Secret fields: clientId (the public key), secretKey. The JWT has no exp, so it is
 * replayable: the broker re-mints per request and advises callers to reuse it for 60 s at most.
 */
export const briefPreset: PresetDefinition<typeof schema> = {
  name: "brief",
  reference: "Brief: JWT Bearer token",
  schema,
  expand: (options) => ({
    ...commonFields(options),
    scheme: "signed-jwt",
    jwt: {
      algorithm: "HS256",
      key: { field: "secretKey", encoding: "utf8" },
      claims: { clientId: "{{secret.clientId}}" },
      issuedAt: true,
    },
    headers: { Authorization: "Bearer {{jwt}}" },
    lifetimeSeconds: 60,
  }),
};
