import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { LocalJwtAuthorizer } from "../../lib/auth/local-jwt-authorizer.ts";

/**
 * A caller identity provider for tests: an RS256 key, the local authorizer that trusts it (the
 * rules API Gateway's JWT authorizer applies), and caller access tokens signed with it.
 */
export async function callerIssuer(issuer: string) {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const authorizer = new LocalJwtAuthorizer({
    jwks: createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" }] }),
    issuer,
    audience: ["broker"],
    requiredScopes: ["broker/token"],
  });
  /** An access token for `sub` (scope broker/token; `client_id` broker unless the claims say otherwise). */
  const sign = (sub: string, claims: Record<string, unknown> = {}) =>
    new SignJWT({ scope: "broker/token", client_id: "broker", ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(issuer)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(privateKey);
  return { authorizer, sign };
}
