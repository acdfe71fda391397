import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { InsufficientScopeError, UnauthorizedError } from "../errors.ts";

export interface LocalJwtAuthorizerOptions {
  issuer: string;
  audience: string[];
  /** Any one of these must be granted (as API Gateway checks route authorization scopes). */
  requiredScopes: string[];
  /** A JWKS URL (https, or http on loopback) or a path to a JWKS JSON file; or a key set. */
  jwks: string | JWTVerifyGetKey;
  /** Pinned: asymmetric only, so an HS256 token signed with a public key never verifies. */
  algorithms?: string[];
  clockToleranceSeconds?: number;
}

const REASONS: [new (...args: never[]) => Error, string][] = [
  [errors.JWTExpired, "the token has expired"],
  [errors.JWTClaimValidationFailed, "a claim is not acceptable"],
  [errors.JOSEAlgNotAllowed, "the token's algorithm is not allowed"],
  [errors.JWSSignatureVerificationFailed, "the signature does not verify"],
  [errors.JWKSNoMatchingKey, "no key of the issuer matches the token"],
  [errors.JWSInvalid, "the token is malformed"],
  [errors.JWTInvalid, "the token is malformed"],
];

/**
 * What API Gateway's JWT authorizer does, for local runs: verify the caller's access token against
 * a JWKS with pinned algorithms, issuer, audience, expiry (with clock tolerance) and scopes.
 */
export class LocalJwtAuthorizer {
  readonly #options: LocalJwtAuthorizerOptions;
  readonly #keys: JWTVerifyGetKey;

  constructor(options: LocalJwtAuthorizerOptions) {
    this.#options = options;
    const { jwks } = options;
    if (typeof jwks !== "string") this.#keys = jwks;
    else if (/^https?:\/\//.test(jwks)) this.#keys = createRemoteJWKSet(new URL(jwks));
    else this.#keys = createLocalJWKSet(JSON.parse(readFileSync(jwks, "utf8")));
  }

  /** Returns the verified claims, or throws a 401/403 BrokerError. */
  async verify(authorization: string | undefined): Promise<Record<string, unknown>> {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? "");
    if (!match)
      throw new UnauthorizedError("Send the caller's access token as Authorization: Bearer <token>.");
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(match[1] as string, this.#keys, {
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        algorithms: this.#options.algorithms ?? ["RS256", "ES256", "PS256", "EdDSA"],
        clockTolerance: this.#options.clockToleranceSeconds ?? 30,
        requiredClaims: ["exp", "iat"],
      }));
    } catch (error) {
      const claim =
        error instanceof errors.JWTClaimValidationFailed && !(error instanceof errors.JWTExpired)
          ? error.claim
          : undefined;
      const reason = claim
        ? `its "${claim}" claim is not acceptable`
        : (REASONS.find(([type]) => error instanceof type)?.[1] ?? "it cannot be verified");
      throw new UnauthorizedError(`The caller's access token was rejected: ${reason}.`);
    }
    const granted = new Set(
      [claims.scope, claims.scp].flatMap((s) =>
        Array.isArray(s) ? s : typeof s === "string" ? s.split(" ") : [],
      ),
    );
    if (!this.#options.requiredScopes.some((s) => granted.has(s))) {
      throw new InsufficientScopeError(
        `The caller's access token needs one of these scopes: ${this.#options.requiredScopes.join(", ")}.`,
      );
    }
    return claims;
  }
}
