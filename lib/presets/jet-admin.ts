import * as z from "zod/mini";
import { connectionBase } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const schema = z.strictObject({
  preset: z.literal("jet-admin"),
  ...connectionBase,
  lifetimeSeconds: z.optional(intRange(1, 86_400)),
});

/** Jet Admin bearer token: `Authorization: Bearer {{token}}`. Secret field: token. */
export const jetAdminPreset: PresetDefinition<typeof schema> = {
  name: "jet-admin",
  reference: "Jet Admin: Bearer Token",
  schema,
  expand: (options) => ({
    ...commonFields(options),
    scheme: "static",
    headers: { Authorization: "Bearer {{secret.token}}" },
  }),
};
