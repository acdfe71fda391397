import { randomUUID, X509Certificate } from "node:crypto";
import { SignJWT } from "jose";
import * as z from "zod/mini";
import { connectionBase, headerTemplates } from "../config/common.ts";
import { intRange, text } from "../config/schema-helpers.ts";
import { templateJson, templateString } from "../config/template.ts";
import { SecretInvalidError } from "../errors.ts";
import { secretField } from "../secrets/parse-secret.ts";
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
  /** `iat` this many seconds in the past: vendors that tolerate no clock drift (GitHub asks for 60). */
  backdateSeconds: z._default(intRange(0, 300), 0),
  /** `exp` = now + this many seconds; absent means no exp claim (the token is then replayable). */
  expiresInSeconds: z.optional(intRange(1, 86_400)),
  jwtId: z._default(z.boolean(), false),
  /** Extra protected-header members (kid, typ...; templates over the secret); alg is always pinned. */
  header: z.optional(z.record(z.string(), templateString(["secret"]))),
  /**
   * An X.509 certificate (PEM) in this secret field: its thumbprints go into the header as
   * `x5t#S256` (SHA-256) and `x5t` (SHA-1), as certificate-based client authentication wants.
   */
  certificateField: z.optional(text(1)),
});
export type JwtTemplate = z.output<typeof jwtTemplate>;

const schema = z
  .strictObject({
    scheme: z.literal("signed-jwt"),
    ...connectionBase,
    jwt: jwtTemplate,
    /** Header layout; {{jwt}} is the minted token, e.g. {"Authorization": "Bearer {{jwt}}"}. */
    headers: headerTemplates(["secret", "jwt"]),
    /** For a JWT without exp: how long the caller may reuse it (the broker's advice, not a claim). */
    lifetimeSeconds: z._default(intRange(1, 3600), 60),
    /**
     * Opt-in, for vendors that allow a token to be reused until it expires (App Store Connect): the
     * minted JWT is kept in process until `exp` minus `reuseSkewSeconds`. Never for per-request
     * signatures whose short `exp` is replay protection (seed 002).
     */
    reuse: z._default(z.boolean(), false),
    reuseSkewSeconds: z._default(intRange(0, 3600), 60),
  })
  .check(
    z.refine((c) => !c.reuse || c.jwt.expiresInSeconds !== undefined, {
      message: "reuse needs jwt.expiresInSeconds (a reusable token must expire)",
      path: ["reuse"],
    }),
    z.refine((c) => !c.reuse || (c.jwt.expiresInSeconds ?? 0) > c.reuseSkewSeconds, {
      message: "reuseSkewSeconds must be shorter than jwt.expiresInSeconds",
      path: ["reuseSkewSeconds"],
    }),
  );

/**
 * A JWT minted per request and signed with a key from the secret (seeds 000 and 002). Never cached:
 * short `exp` values are the vendor's replay protection.
 */
export const signedJwtScheme: SchemeDefinition<typeof schema> = {
  name: "signed-jwt",
  schema,
  create(config) {
    let kept: { jwt: string; expiresAt: number; secretVersion: string } | undefined;
    return {
      kind: "minted",
      async mint({ secret, now }) {
        const issuedAtMs = now();
        if (
          config.reuse &&
          kept?.secretVersion === secret.versionId &&
          kept.expiresAt - config.reuseSkewSeconds * 1000 > issuedAtMs
        ) {
          return {
            headers: renderHeaders(config.headers, secret, { jwt: kept.jwt }),
            expiresAt: kept.expiresAt,
          };
        }
        const jwt = await mintJwt(config.jwt, secret, issuedAtMs);
        const expiresAt =
          config.jwt.expiresInSeconds === undefined
            ? issuedAtMs + config.lifetimeSeconds * 1000
            : (Math.floor(issuedAtMs / 1000) - config.jwt.backdateSeconds + config.jwt.expiresInSeconds) *
              1000;
        if (config.reuse) kept = { jwt, expiresAt, secretVersion: secret.versionId };
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
  const header = template.header ? (renderSecretJson(template.header, secret) as Record<string, string>) : {};
  const jwt = new SignJWT(claims).setProtectedHeader({
    typ: "JWT",
    ...header,
    ...(template.certificateField ? certificateThumbprints(secret, template.certificateField) : {}),
    alg: template.algorithm,
  });
  const issuedAt = nowSeconds - template.backdateSeconds;
  if (template.issuedAt) jwt.setIssuedAt(issuedAt);
  if (template.expiresInSeconds !== undefined) jwt.setExpirationTime(issuedAt + template.expiresInSeconds);
  if (template.jwtId) jwt.setJti(randomUUID());
  return jwt.sign(key);
}

/** RFC 7515 4.1.7/4.1.8: base64url SHA-1 and SHA-256 of the certificate's DER (node's X509Certificate). */
export function certificateThumbprints(secret: Secret, field: string): { "x5t#S256": string; x5t: string } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(secretField(secret, field));
  } catch (error) {
    throw new SecretInvalidError(`Secret "${secret.id}" field "${field}" is not a PEM certificate.`, {
      cause: error,
    });
  }
  const thumbprint = (hex: string) => Buffer.from(hex.replaceAll(":", ""), "hex").toString("base64url");
  return { "x5t#S256": thumbprint(certificate.fingerprint256), x5t: thumbprint(certificate.fingerprint) };
}
