import { jose } from "./jose.ts";
import { randomUUID, X509Certificate } from "node:crypto";
import { SecretInvalidError } from "../errors.ts";
import { secretField } from "../secrets/parse-secret.ts";
import type { Secret } from "../secrets/secret-source.ts";
import { renderHeaders, renderSecretJson } from "./render-headers.ts";
import type { SchemeDefinition } from "./scheme.ts";
import type { JwtTemplate, SignedJwtConfig } from "./signed-jwt.schema.ts";
import { signingKey } from "./signing-key.ts";

/**
 * A JWT minted per request and signed with a key from the secret (Brief, the x-signature APIs). Never cached:
 * short `exp` values are the vendor's replay protection.
 */
export const signedJwtScheme = {
  name: "signed-jwt" as const,
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
} satisfies SchemeDefinition<SignedJwtConfig>;

/** Signs the claims template with jose; NumericDates are whole seconds (RFC 7519 2). */
export async function mintJwt(template: JwtTemplate, secret: Secret, nowMs: number) {
  const key = await signingKey(secret, template.key, template.algorithm);
  const claims = renderSecretJson(template.claims, secret) as Record<string, unknown>;
  const nowSeconds = Math.floor(nowMs / 1000);
  const header = template.header ? (renderSecretJson(template.header, secret) as Record<string, string>) : {};
  const { SignJWT } = await jose();
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
