import * as z from "zod/mini";
import { exchangedBase, headerName, headerTemplates, upstreamUrl } from "../config/common.ts";
import { templateJson, templateString } from "../config/template-schema.ts";
import type { SchemeSchema } from "./scheme.ts";
import { jwtTemplate } from "./signed-jwt.schema.ts";

const fieldPath = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a field name or dot path"));

function endpoint(allowed: readonly string[]) {
  return z.strictObject({
    url: upstreamUrl,
    /** Extra request headers (templates); content-type and accept are JSON. */
    headers: z.optional(z.record(headerName, templateString(allowed))),
    /** JSON request body; strings are templates. */
    body: templateJson(allowed),
  });
}

const schema = z
  .strictObject({
    scheme: z.literal("token-exchange"),
    ...exchangedBase,
    /**
     * Sign, then exchange (GitHub Apps): a JWT minted per exchange from this template, usable as
     * {{jwt}} in the exchange request's headers and body.
     */
    jwt: z.optional(jwtTemplate),
    exchange: endpoint(["secret", "jwt"]),
    /** Optional refresh request; {{refreshToken}} is the stored refresh token. */
    refresh: z.optional(endpoint(["secret", "refreshToken"])),
    response: z._default(
      z.strictObject({
        accessToken: z._default(fieldPath, "access_token"),
        expiresIn: z._default(fieldPath, "expires_in"),
        /** Or an absolute expiry: ISO 8601 text (`expires_at`) or epoch seconds. Wins over expiresIn. */
        expiresAt: z.optional(fieldPath),
        refreshToken: z.optional(fieldPath),
        refreshExpiresIn: z.optional(fieldPath),
      }),
      { accessToken: "access_token", expiresIn: "expires_in" },
    ),
    headers: z._default(headerTemplates(["secret", "token"]), { Authorization: "Bearer {{token}}" }),
  })
  .check(
    z.refine((c) => !c.refresh || c.response.refreshToken, {
      message: "a refresh request needs response.refreshToken (where the refresh token is in the response)",
      path: ["response", "refreshToken"],
    }),
    z.refine((c) => c.jwt !== undefined || !JSON.stringify(c.exchange).includes("{{jwt}}"), {
      message: "{{jwt}} needs a jwt template on the connection",
      path: ["exchange"],
    }),
    z.refine((c) => c.jwt === undefined || c.jwt.expiresInSeconds !== undefined, {
      message: "a JWT used to authenticate an exchange needs expiresInSeconds (keep it short)",
      path: ["jwt", "expiresInSeconds"],
    }),
  );

export type TokenExchangeConfig = z.output<typeof schema>;

export const tokenExchangeSchema: SchemeSchema<typeof schema> = { name: "token-exchange", schema };
