import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import * as z from "zod/mini";
import { connectionBase, headerTemplates } from "../config/common.ts";
import { intRange } from "../config/schema-helpers.ts";
import { templateJson } from "../config/template.ts";
import type { Secret } from "../secrets/secret-source.ts";
import { renderHeaders, renderSecretJson } from "./render-headers.ts";
import type { SchemeDefinition } from "./scheme.ts";
import { signingAlgorithm, signingKey, signingKeySpec } from "./signing-key.ts";

const RESERVED_CLAIMS = ["iat", "exp", "jti"];

export const jwtTemplate = z.strictObject({
  algorithm: z._default(signingAlgorithm, "HS256"),
  key: signingKeySpec,
  /** Payload template; strings may use {{secret.<field>}}. iat/exp/jti are set by the options below. */
  claims: templateJson(["secret"]).check(
    z.refine((c) => c !== null && typeof c === "object" && !Array.isArray(c), "must be an object"),
    z.refine(
      (c) => c === null || typeof c !== "object" || !RESERVED_CLAIMS.some((r) => Object.hasOwn(c, r)),
      "iat, exp and jti are set by issuedAt, expiresInSeconds and jwtId, not as literal claims",
    ),
  ),
  issuedAt: z._default(z.boolean(), true),
  /** `exp` = now + this many seconds; absent means no exp claim (the token is then replayable). */
  expiresInSeconds: z.optional(intRange(1, 86_400)),
  jwtId: z._default(z.boolean(), false),
  /** Extra protected-header members (kid, typ...); alg is always the pinned algorithm. */
  header: z.optional(z.record(z.string(), z.string())),
});
export type JwtTemplate = z.output<typeof jwtTemplate>;

const schema = z.strictObject({
  scheme: z.literal("signed-jwt"),
  ...connectionBase,
  jwt: jwtTemplate,
  /** Header layout; {{jwt}} is the minted token, e.g. {"Authorization": "Bearer {{jwt}}"}. */
  headers: headerTemplates(["secret", "jwt"]),
  /** For a JWT without exp: how long the caller may reuse it (the broker's advice, not a claim). */
  lifetimeSeconds: z._default(intRange(1, 3600), 60),
});

/**
 * A JWT minted per request and signed with a key from the secret (seeds 000 and 002). Never cached:
 * short `exp` values are the vendor's replay protection.
 */
export const signedJwtScheme: SchemeDefinition<typeof schema> = {
  name: "signed-jwt",
  schema,
  create(config) {
    return {
      kind: "minted",
      async mint({ secret, now }) {
        const issuedAtMs = now();
        const jwt = await mintJwt(config.jwt, secret, issuedAtMs);
        const expiresAt =
          config.jwt.expiresInSeconds === undefined
            ? issuedAtMs + config.lifetimeSeconds * 1000
            : (Math.floor(issuedAtMs / 1000) + config.jwt.expiresInSeconds) * 1000;
        return { headers: renderHeaders(config.headers, secret, { jwt }), expiresAt };
      },
    };
  },
};

/** Signs the claims template with jose; NumericDates are whole seconds (RFC 7519 2). */
export async function mintJwt(template: JwtTemplate, secret: Secret, nowMs: number) {
  const key = await signingKey(secret, template.key, template.algorithm);
  const claims = renderSecretJson(template.claims, secret) as Record<string, unknown>;
  const nowSeconds = Math.floor(nowMs / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({
    typ: "JWT",
    ...template.header,
    alg: template.algorithm,
  });
  if (template.issuedAt) jwt.setIssuedAt(nowSeconds);
  if (template.expiresInSeconds !== undefined) jwt.setExpirationTime(nowSeconds + template.expiresInSeconds);
  if (template.jwtId) jwt.setJti(randomUUID());
  return jwt.sign(key);
}
