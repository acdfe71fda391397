import * as z from "zod/mini";
import { connectionBase } from "../config/common.ts";
import { commonFields, type PresetDefinition } from "./preset.ts";

const userSchema = z.strictObject({ preset: z.literal("x-signature"), ...connectionBase });
const organizationSchema = z.strictObject({
  preset: z.literal("x-signature-organization"),
  ...connectionBase,
});

/**
 * API key + JWT signing: `x-api-key` plus `x-signature` = HS256 JWT {key: apiKey,
 * exp: now+15s} signed with the JWT key as UTF-8 bytes. Secret fields: apiKey, jwtKey.
 */
export const xSignaturePreset: PresetDefinition<typeof userSchema> = {
  name: "x-signature",
  reference: "API Key + JWT Signing",
  schema: userSchema,
  expand: (options) => ({
    ...commonFields(options),
    scheme: "signed-jwt",
    jwt: {
      algorithm: "HS256",
      key: { field: "jwtKey", encoding: "utf8" },
      claims: { key: "{{secret.apiKey}}" },
      issuedAt: false,
      expiresInSeconds: 15,
    },
    headers: { "x-api-key": "{{secret.apiKey}}", "x-signature": "{{jwt}}" },
  }),
};

/**
 * The same API for organization owners (API key + JWT signing, organizations): `x-api-key` (the user's key),
 * `x-app-key`, and `x-app-signature` = HS256 JWT {key: appKey, exp: now+60s} signed with the app
 * secret. Secret fields: apiKey, appKey, appSecret.
 */
export const xSignatureOrganizationPreset: PresetDefinition<typeof organizationSchema> = {
  name: "x-signature-organization",
  reference: "Organizations",
  schema: organizationSchema,
  expand: (options) => ({
    ...commonFields(options),
    scheme: "signed-jwt",
    jwt: {
      algorithm: "HS256",
      key: { field: "appSecret", encoding: "utf8" },
      claims: { key: "{{secret.appKey}}" },
      issuedAt: false,
      expiresInSeconds: 60,
    },
    headers: {
      "x-api-key": "{{secret.apiKey}}",
      "x-app-key": "{{secret.appKey}}",
      "x-app-signature": "{{jwt}}",
    },
  }),
};
