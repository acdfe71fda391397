import { randomUUID } from "node:crypto";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { LocalJwtAuthorizer } from "../auth/local-jwt-authorizer.ts";
import { ConfigError } from "../errors.ts";

export const DEV_ISSUER = "urn:token-broker:local-dev-issuer";
export const DEV_AUDIENCE = "token-broker-local";

export type LocalAuth =
  | { mode: "dev"; authorizer: LocalJwtAuthorizer; devToken: string }
  | { mode: "jwks"; authorizer: LocalJwtAuthorizer }
  | { mode: "none" };

const list = (value: string | undefined, fallback: string[]) =>
  value
    ? value
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean)
    : fallback;

/**
 * Caller authentication for local runs (BROKER_LOCAL_AUTH):
 * - "dev" (default): an in-memory issuer whose key lives only in this process; the server prints a
 *   caller token for it (sub local-developer, scope broker/token, group developers), so curl works
 *   without any identity provider while every request is still verified.
 * - "jwks": verify like the deployed authorizer, against BROKER_LOCAL_JWKS (URL or file), with
 *   BROKER_LOCAL_ISSUER, BROKER_LOCAL_AUDIENCE and BROKER_LOCAL_SCOPES.
 * - "none": no caller authentication at all (explicit opt-in, loudly logged, loopback only).
 */
export async function localAuthFromEnv(env: NodeJS.ProcessEnv): Promise<LocalAuth> {
  const mode = env.BROKER_LOCAL_AUTH ?? "dev";
  const requiredScopes = list(env.BROKER_LOCAL_SCOPES, ["broker/token"]);
  if (mode === "none") return { mode };
  if (mode === "jwks") {
    const missing = ["BROKER_LOCAL_JWKS", "BROKER_LOCAL_ISSUER", "BROKER_LOCAL_AUDIENCE"].filter(
      (k) => !env[k],
    );
    if (missing.length > 0)
      throw new ConfigError(
        "environment",
        missing.map((k) => ({ path: k, message: "required with BROKER_LOCAL_AUTH=jwks" })),
      );
    return {
      mode,
      authorizer: new LocalJwtAuthorizer({
        jwks: env.BROKER_LOCAL_JWKS as string,
        issuer: env.BROKER_LOCAL_ISSUER as string,
        audience: list(env.BROKER_LOCAL_AUDIENCE, []),
        requiredScopes,
      }),
    };
  }
  if (mode !== "dev")
    throw new ConfigError("BROKER_LOCAL_AUTH", [{ path: "", message: 'expected "dev", "jwks" or "none"' }]);
  // RS256 like the identity providers API Gateway's JWT authorizer accepts (RSA only).
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "local-dev", alg: "RS256" };
  const devToken = await new SignJWT({ scope: requiredScopes.join(" "), groups: ["developers"] })
    .setProtectedHeader({ alg: "RS256", kid: "local-dev", typ: "at+jwt" })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setSubject("local-developer")
    .setIssuedAt()
    .setExpirationTime("12h")
    .setJti(randomUUID())
    .sign(privateKey);
  return {
    mode,
    devToken,
    authorizer: new LocalJwtAuthorizer({
      jwks: createLocalJWKSet({ keys: [jwk] }),
      issuer: DEV_ISSUER,
      audience: [DEV_AUDIENCE],
      requiredScopes,
    }),
  };
}
