import { z } from "zod";
import { connectionBase } from "../config/common.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("jet-admin"),
  ...connectionBase,
  lifetimeSeconds: z.number().int().positive().max(86_400).optional(),
});

/** Jet Admin bearer token (seed 003): `Authorization: Bearer {{token}}`. Secret field: token. */
export const jetAdminPreset: PresetDefinition<typeof schema> = {
  name: "jet-admin",
  reference: "seeds/003 Jet Admin: Bearer Token",
  schema,
  expand: (options) => ({
    ...commonFields(options),
    scheme: "static",
    headers: { Authorization: "Bearer {{secret.token}}" },
  }),
};
